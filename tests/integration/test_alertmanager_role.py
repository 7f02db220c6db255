# -*- coding: utf-8 -*-
"""The alertmanager role, run by ansible-playbook against this machine's
Docker engine with the real Alertmanager image: a config that amtool
rejects never replaces the live one and the message names the variable,
a second run changes nothing, check mode predicts a change truthfully, and
the secrets stay out of the output and out of reach.

Every name (container, network, volume, directory, port) is this test's
own, and everything is removed at the end.
"""

import json
import os
import re
import secrets
import stat
import subprocess
import sys

import pytest
import requests

from conftest import REPO, free_port

SECRET_URL = 'http://127.0.0.1:9/api/webhooks/4242/Pytest-D1scord-Token-%s' % secrets.token_hex(4)
SMTP_PASSWORD = 'Pytest-Smtp-Pw-%s' % secrets.token_hex(4)


@pytest.fixture(scope='module')
def role_run(rig_images, tmp_path_factory):
    image = rig_images.get('RIG_IMAGE_ALERTMANAGER')
    if not image:
        pytest.fail('The rig image alertmanager is missing: run `make images`.', pytrace=False)
    tag = 'cpm-test-am-%s' % secrets.token_hex(3)
    base = tmp_path_factory.mktemp('am-role')
    port = free_port()
    playbook = base / 'play.yml'
    playbook.write_text(
        '- hosts: localhost\n  gather_facts: false\n  roles:\n    - coinpilot.monitoring.alertmanager\n')
    common = {
        'alertmanager_image': image, 'alertmanager_base_dir': str(base / 'opt'),
        'alertmanager_container_name': tag, 'alertmanager_network': tag, 'alertmanager_data_volume': tag,
        'alertmanager_web_port': port, 'alertmanager_group_wait': '1s',
        'alertmanager_receivers': [{'name': 'discord', 'type': 'discord', 'url': SECRET_URL},
                                   {'name': 'mail', 'type': 'email', 'to': 'ops@example.com'}],
        'alertmanager_smtp_smarthost': 'localhost:25', 'alertmanager_smtp_from': 'am@example.com',
        'alertmanager_smtp_auth_username': 'am', 'alertmanager_smtp_auth_password': SMTP_PASSWORD,
        'alertmanager_severity_receivers': {'critical': ['discord', 'mail'], 'warning': 'discord'},
    }

    def run(extra=None, check=False):
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
        env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
        argv = ['ansible-playbook', '-i', 'localhost,', '-c', 'local', str(playbook),
                '-e', 'ansible_python_interpreter=%s' % sys.executable, '-e', json.dumps(dict(common, **(extra or {})))]
        if check:
            argv.append('--check')
        proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
        return proc, proc.stdout + proc.stderr

    proc, out = run()
    if proc.returncode != 0:
        pytest.fail('The first run of the role failed:\n' + out[-3000:], pytrace=False)
    yield {'run': run, 'config': base / 'opt' / 'alertmanager' / 'alertmanager.yml',
           'secrets': base / 'opt' / 'alertmanager' / 'secrets', 'url': 'http://127.0.0.1:%d' % port}
    subprocess.run(['docker', 'rm', '-f', tag], capture_output=True, check=False)
    subprocess.run(['docker', 'volume', 'rm', tag], capture_output=True, check=False)
    subprocess.run(['docker', 'network', 'rm', tag], capture_output=True, check=False)


def _recap_changed(out):
    return int(out.rsplit('changed=', 1)[1].split()[0])


def test_a_second_run_changes_nothing(role_run):
    proc, out = role_run['run']()
    assert proc.returncode == 0, out[-3000:]
    assert _recap_changed(out) == 0, out[-3000:]
    status = requests.get(role_run['url'] + '/api/v2/status', timeout=5).json()
    assert status['versionInfo']['version'] == '0.33.1'
    assert 'webhook_url_file: /etc/alertmanager/secrets/discord.url' in status['config']['original']
    assert 'smtp_auth_password_file: /etc/alertmanager/secrets/smtp.password' in status['config']['original']


def test_secrets_are_files_of_alertmanager_only(role_run):
    for name, value in (('discord.url', SECRET_URL), ('smtp.password', SMTP_PASSWORD)):
        path = role_run['secrets'] / name
        info = path.stat()
        assert stat.S_IMODE(info.st_mode) == 0o600, name
        assert (info.st_uid, info.st_gid) == (65534, 65534), name
        assert path.read_text() == value
    assert stat.S_IMODE(role_run['secrets'].stat().st_mode) == 0o700
    config = role_run['config'].read_text()
    assert SECRET_URL not in config and SMTP_PASSWORD not in config


def test_check_mode_predicts_the_change_and_the_reload(role_run):
    before = role_run['config'].read_text()
    proc, out = role_run['run']({'alertmanager_group_wait': '2s'}, check=True)
    assert proc.returncode == 0, out[-3000:]
    assert re.search(r'Reload Alertmanager when its config is newer than its last load, and confirm it\] \*+\nchanged: ', out), \
        out[-3000:]
    assert _recap_changed(out) == 2, out[-3000:]
    assert role_run['config'].read_text() == before


def test_a_change_reloads_and_is_confirmed(role_run):
    proc, out = role_run['run']({'alertmanager_group_wait': '2s'})
    assert proc.returncode == 0, out[-3000:]
    assert _recap_changed(out) == 2, out[-3000:]
    status = requests.get(role_run['url'] + '/api/v2/status', timeout=5).json()
    assert 'group_wait: 2s' in status['config']['original']
    metrics = requests.get(role_run['url'] + '/metrics', timeout=5).text
    assert '\nalertmanager_config_last_reload_successful 1\n' in metrics


@pytest.mark.parametrize('extra, words', [
    ({'alertmanager_inhibit_rules': [{'source_matchers': ['alertname=~"(bad"'], 'target_matchers': ['x="y"']}]},
     'The value at fault comes from alertmanager_inhibit_rules. amtool said: error parsing regexp: missing closing ): '
     '`^(?:(bad)$`'),
    ({'alertmanager_routes_extra': [{'receiver': 'discord', 'matchers': ['a="b"'], 'group_wait': 'soon'}]},
     'The value at fault comes from alertmanager_routes_extra. amtool said: not a valid duration string: \\"soon\\"'),
])
def test_a_config_amtool_rejects_never_lands(role_run, extra, words):
    before = role_run['config'].read_bytes()
    proc, out = role_run['run'](extra)
    assert proc.returncode != 0
    assert 'Write the config failed, the live file is unchanged.' in out
    assert words in out, out[-3000:]
    assert role_run['config'].read_bytes() == before
    assert SECRET_URL not in out and SMTP_PASSWORD not in out


@pytest.mark.parametrize('extra, words', [
    ({'alertmanager_severity_receivers': {'critical': ['pager']}},
     'alertmanager_severity_receivers.critical names the receiver(s) pager, which alertmanager_receivers does not define'),
    ({'alertmanager_receivers': [{'name': 'discord', 'type': 'discord', 'url': 'CHANGE-' + SECRET_URL[7:]}]},
     'alertmanager_receivers discord is malformed'),
    ({'alertmanager_receivers': [{'name': 'd', 'type': 'discord', 'url': SECRET_URL},
                                 {'name': 'd', 'type': 'discord', 'url': SECRET_URL}]},
     'The receiver name(s) d appear more than once in alertmanager_receivers'),
    ({'alertmanager_receivers': [{'name': 'm', 'type': 'email', 'to': 'a@example.com'}], 'alertmanager_smtp_smarthost': ''},
     'alertmanager_receivers has an email receiver; set alertmanager_smtp_smarthost'),
])
def test_preflight_names_what_to_fix_without_the_secret(role_run, extra, words):
    proc, out = role_run['run'](extra)
    assert proc.returncode != 0
    assert words in out, out[-3000:]
    assert SECRET_URL[7:] not in out and SMTP_PASSWORD not in out


def test_silences_survive_a_recreated_container(role_run):
    silence = {'matchers': [{'name': 'host', 'value': 'oci-2', 'isRegex': False, 'isEqual': True}],
               'startsAt': '2026-01-01T00:00:00Z', 'endsAt': '2099-01-01T00:00:00Z',
               'createdBy': 'pytest', 'comment': 'maintenance'}
    created = requests.post(role_run['url'] + '/api/v2/silences', json=silence, timeout=5)
    assert created.status_code == 200, created.text
    silence_id = created.json()['silenceID']
    # A new flag is a spec change: the container is recreated, the volume stays.
    proc, out = role_run['run']({'alertmanager_extra_flags': ['--log.level=debug']})
    assert proc.returncode == 0, out[-3000:]
    assert 'changed: [localhost]' in out.split('Run the Alertmanager container')[1].split('TASK')[0]
    kept = requests.get(role_run['url'] + '/api/v2/silence/' + silence_id, timeout=5)
    assert kept.status_code == 200 and kept.json()['status']['state'] == 'active'
