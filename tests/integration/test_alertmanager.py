# -*- coding: utf-8 -*-
"""The real Alertmanager 0.33.1 (the rig's image) and amtool: config checks,
and alertmanager_delivery against a recording receiver on loopback.

Alertmanager runs with host networking on a free loopback port. Its
receivers are Discord webhooks that point at the rig's recorder
(rig/recorder.py), in this process: one that answers 204 like Discord, one
that answers 500, one on a closed port. Routes pick them by severity.
"""

import os
import subprocess
import sys
import time

import pytest
import requests

from conftest import Containers, REPO, free_port

sys.path.insert(0, os.path.join(REPO, 'rig'))
import recorder  # noqa: E402  pylint: disable=wrong-import-position

CONFIG = '''
route:
  receiver: blackhole
  group_by: [alertname, coinpilot_test_id]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - {receiver: discord, matchers: ['severity="critical"']}
    - {receiver: broken, matchers: ['severity="broken"']}
    - {receiver: lost, matchers: ['severity="lost"']}
    - {receiver: rejected, matchers: ['severity="rejected"']}
receivers:
  - name: blackhole
  - name: discord
    discord_configs: [{webhook_url_file: /etc/alertmanager/secrets/discord.url, send_resolved: true}]
  - name: broken
    discord_configs: [{webhook_url_file: /etc/alertmanager/secrets/broken.url}]
  - name: lost
    discord_configs: [{webhook_url_file: /etc/alertmanager/secrets/lost.url}]
  - name: rejected
    discord_configs: [{webhook_url_file: /etc/alertmanager/secrets/rejected.url}]
'''


def amtool(image, directory, *args):
    return subprocess.run(['docker', 'run', '--rm', '--network', 'none', '-v', '%s:/etc/alertmanager:ro' % directory,
                           '--entrypoint', '/bin/amtool', image] + list(args),
                          capture_output=True, text=True, check=False, timeout=60)


def _config_dir(tmp_path_factory, receiver_port, closed_port):
    cfg = tmp_path_factory.mktemp('alertmanager')
    secrets = cfg / 'secrets'
    secrets.mkdir()
    (cfg / 'alertmanager.yml').write_text(CONFIG)
    base = 'http://127.0.0.1:%d/api/webhooks/4242' % receiver_port
    (secrets / 'discord.url').write_text(base + '/token-ok')
    (secrets / 'broken.url').write_text(base + '/status/500/token-broken')
    (secrets / 'rejected.url').write_text(base + '/status/400/token-rejected')
    (secrets / 'lost.url').write_text('http://127.0.0.1:%d/api/webhooks/4242/token-lost' % closed_port)
    for path in (cfg, secrets):
        os.chmod(str(path), 0o755)
    for path in [cfg / 'alertmanager.yml'] + list(secrets.iterdir()):
        os.chmod(str(path), 0o644)
    return cfg


@pytest.fixture(scope='module')
def image(rig_images):
    ref = rig_images.get('RIG_IMAGE_ALERTMANAGER')
    if not ref or subprocess.run(['docker', 'image', 'inspect', ref], capture_output=True, check=False).returncode:
        pytest.fail('The rig image alertmanager is missing: run `make images` (rig/images.sh).', pytrace=False)
    return ref


@pytest.fixture(scope='module')
def receiver():
    server = recorder.serve()
    yield server
    server.shutdown()


@pytest.fixture(scope='module')
def alertmanager(image, receiver, tmp_path_factory):
    containers = Containers()
    port = free_port()
    cfg = _config_dir(tmp_path_factory, receiver.server_address[1], free_port())
    try:
        containers.run('alertmanager', image, '--config.file=/etc/alertmanager/alertmanager.yml',
                       '--storage.path=/alertmanager', '--web.listen-address=127.0.0.1:%d' % port,
                       '--cluster.listen-address=', volumes=['%s:/etc/alertmanager:ro' % cfg])
        url = 'http://127.0.0.1:%d' % port
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(url + '/-/ready', timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.3)
        else:
            pytest.fail('Alertmanager at %s did not become ready' % url, pytrace=False)
        yield {'url': url, 'capture': 'http://127.0.0.1:%d/recorded' % receiver.server_address[1], 'config_dir': cfg}
    finally:
        containers.cleanup()


def test_amtool_accepts_a_good_config(image, alertmanager):
    result = amtool(image, alertmanager['config_dir'], 'check-config', '/etc/alertmanager/alertmanager.yml')
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'SUCCESS' in result.stdout
    assert ' - 5 receivers' in result.stdout


@pytest.mark.parametrize('broken, words', [
    (CONFIG.replace('receiver: broken,', 'receiver: nobody,'), 'undefined receiver "nobody"'),
    (CONFIG.replace('group_wait: 0s', 'group_wait: soon'), 'not a valid duration string: "soon"'),
    (CONFIG.replace('severity="lost"', 'severity=~"(lost"'), 'error parsing regexp'),
])
def test_amtool_rejects_a_bad_config(image, tmp_path, broken, words):
    (tmp_path / 'alertmanager.yml').write_text(broken)
    os.chmod(str(tmp_path), 0o755)
    os.chmod(str(tmp_path / 'alertmanager.yml'), 0o644)
    result = amtool(image, tmp_path, 'check-config', '/etc/alertmanager/alertmanager.yml')
    assert result.returncode == 1
    assert words in result.stdout + result.stderr


def test_delivery_reaches_the_discord_receiver(run_module, alertmanager, receiver):
    result = run_module('alertmanager_delivery', {'url': alertmanager['url'], 'receiver': 'discord',
                                                  'capture_url': alertmanager['capture'], 'delivery_timeout': 30,
                                                  'report_check': 'alert delivered'})
    assert result['failed'] is False, result
    assert result['changed'] is False
    assert result['row'] == {'check': 'alert delivered', 'ok': True,
                             'detail': 'test alert routed to discord (discord), delivered in %s s' % result['elapsed']}
    assert result['alertmanager_version'] == '0.33.1'
    assert result['receivers'] == ['discord']
    assert result['integrations'] == ['discord']
    assert [s['step'] for s in result['steps']] == ['reach', 'post', 'route', 'notify']
    assert 0 < result['elapsed'] < 30
    test_id = result['alert']['coinpilot_test_id']
    assert result['alert']['coinpilot_test'] == 'true'
    note = result['notification']
    assert note['status'] == 204
    assert 'path_sha256' not in note
    # Discord's webhook shape: an embed with the title and the alert's labels.
    assert note['content_type'].startswith('application/json')
    embed = note['body']['embeds'][0]
    assert embed['title'].startswith('[FIRING:1] CoinpilotDeliveryTest')
    assert test_id in embed['description']
    # Then the resolve: a second message, marked RESOLVED.
    deadline = time.time() + 20
    while time.time() < deadline:
        resolved = [r for r in receiver.records if test_id in r['text'] and 'RESOLVED' in r['text']]
        if resolved:
            break
        time.sleep(0.3)
    assert resolved, 'no resolved notification arrived'
    assert resolved[0]['body']['embeds'][0]['title'].startswith('[RESOLVED] CoinpilotDeliveryTest')


def test_delivery_without_capture_counts_alertmanagers_notifications(run_module, alertmanager):
    result = run_module('alertmanager_delivery', {'url': alertmanager['url'], 'delivery_timeout': 30})
    assert result['failed'] is False, result
    assert result['notifications_sent'] >= 1
    assert result['notification'] is None


def test_route_that_matches_no_receiver(run_module, alertmanager):
    result = run_module('alertmanager_delivery', {'url': alertmanager['url'], 'severity': 'info',
                                                  'capture_url': alertmanager['capture'], 'delivery_timeout': 10})
    assert result['failed'] is True
    assert result['step'] == 'route'
    assert result['msg'] == ("Step 'route' failed: the route matched no receiver that notifies anyone: blackhole has "
                             "no integrations (severity=info goes to the default route?)")


def test_route_to_another_receiver(run_module, alertmanager):
    result = run_module('alertmanager_delivery', {'url': alertmanager['url'], 'severity': 'broken', 'receiver': 'discord',
                                                  'delivery_timeout': 10})
    assert result['failed'] is True
    assert result['step'] == 'route'
    assert "the route matched receiver(s) broken, not 'discord' (severity=broken)" in result['msg']


@pytest.mark.parametrize('severity, status', [('broken', 500), ('rejected', 400)])
def test_receiver_that_answers_an_error(run_module, alertmanager, severity, status):
    result = run_module('alertmanager_delivery', {'url': alertmanager['url'], 'severity': severity,
                                                  'capture_url': alertmanager['capture'], 'delivery_timeout': 30})
    assert result['failed'] is True
    assert result['step'] == 'receiver'
    assert result['msg'] == "Step 'receiver' failed: the receiver answered HTTP %d to the notification" % status
    assert 'token-' not in repr(result)


def test_receiver_that_answers_500_seen_in_alertmanagers_metrics(run_module, alertmanager):
    """Without the recorder, only Alertmanager's count says it failed: its
    Discord integration gives the reason "other" (not serverError) once its
    retries run out, so the step is notify."""
    result = run_module('alertmanager_delivery', {'url': alertmanager['url'], 'severity': 'broken',
                                                  'delivery_timeout': 60})
    assert result['failed'] is True, result
    assert result['step'] == 'notify', result['msg']
    assert result['msg'].startswith("Step 'notify' failed: the notification failed: "
                                    "alertmanager_notifications_failed_total rose (reason ")


def test_receiver_that_cannot_be_reached(run_module, alertmanager):
    result = run_module('alertmanager_delivery', {'url': alertmanager['url'], 'severity': 'lost',
                                                  'capture_url': alertmanager['capture'], 'delivery_timeout': 60})
    assert result['failed'] is True
    assert result['step'] == 'notify'
    assert result['msg'].startswith("Step 'notify' failed: the notification failed: ")
    assert 'token-lost' not in repr(result)


def test_unreachable_alertmanager(run_module, closed_port_url):
    result = run_module('alertmanager_delivery', {'url': closed_port_url, 'timeout': 2})
    assert result['failed'] is True
    assert result['step'] == 'reach'
    assert result['msg'] == "Step 'reach' failed: Could not reach Alertmanager at %s/api/v2/status: connection refused" \
        % closed_port_url


def test_check_mode_posts_nothing(run_module, alertmanager, receiver):
    count = len(receiver.records)
    result = run_module('alertmanager_delivery', {'url': alertmanager['url'], 'capture_url': alertmanager['capture'],
                                                  'report_check': 'alertmanager answers'}, check_mode=True)
    assert result['failed'] is False, result
    assert result['row'] == {'check': 'alertmanager answers', 'ok': True, 'detail': 'Alertmanager 0.33.1'}
    assert [s['step'] for s in result['steps']] == ['reach']
    test_id = result['alert']['coinpilot_test_id']
    time.sleep(1)
    assert requests.get(alertmanager['url'] + '/api/v2/alerts', params={'filter': 'coinpilot_test_id="%s"' % test_id},
                        timeout=5).json() == []
    assert len(receiver.records) == count
