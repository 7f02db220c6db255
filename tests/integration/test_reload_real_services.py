# -*- coding: utf-8 -*-
"""config_reload against the real Prometheus and Alertmanager of the rig:
an unchanged config is left alone, a newer one is reloaded and confirmed, and
a config the service refuses fails in one line with the service's own words."""

import os
import time
import urllib.request

import pytest

from conftest import Containers, free_port

SERVICES = {
    'prometheus': dict(
        image='RIG_IMAGE_PROMETHEUS', file='prometheus.yml',
        args=['--config.file=/etc/svc/prometheus.yml', '--storage.tsdb.path=/prometheus', '--web.enable-lifecycle'],
        listen='--web.listen-address=127.0.0.1:%d',
        good='global: {scrape_interval: 15s}\n', newer='global: {scrape_interval: 20s}\n',
        broken='global: {scrape_interval: 1x}\n',
        words='Prometheus did not confirm the reload (prometheus_config_last_reload_successful is not 1): '),
    'alertmanager': dict(
        image='RIG_IMAGE_ALERTMANAGER', file='alertmanager.yml',
        args=['--config.file=/etc/svc/alertmanager.yml', '--storage.path=/alertmanager', '--cluster.listen-address='],
        listen='--web.listen-address=127.0.0.1:%d',
        good='route: {receiver: a}\nreceivers: [{name: a}]\n', newer='route: {receiver: b}\nreceivers: [{name: b}]\n',
        broken='route: {receiver: nowhere}\nreceivers: [{name: a}]\n',
        words='Alertmanager did not confirm the reload (alertmanager_config_last_reload_successful is not 1): '),
}


def _wait_ready(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + '/-/ready', timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail('%s did not become ready' % url, pytrace=False)


@pytest.mark.parametrize('service', sorted(SERVICES))
def test_reloads_only_a_newer_config_and_names_a_refused_one(service, rig_images, tmp_path, run_module):
    spec = SERVICES[service]
    image = rig_images.get(spec['image'])
    if not image:
        pytest.fail('The rig image for %s is missing: run `make images` (rig/images.sh).' % service, pytrace=False)
    cfg = tmp_path / spec['file']
    cfg.write_text(spec['good'])
    os.chmod(str(tmp_path), 0o755)
    os.chmod(str(cfg), 0o644)
    port = free_port()
    containers = Containers()
    try:
        # The directory, not the file, is mounted, so a rewritten file shows inside.
        containers.run(service, image, *(spec['args'] + [spec['listen'] % port]), volumes=['%s:/etc/svc:ro' % tmp_path])
        url = 'http://127.0.0.1:%d' % port
        _wait_ready(url)
        args = {'url': url, 'service': service, 'files': [str(cfg)], 'container': 'svc'}

        untouched = run_module('config_reload', args)
        assert (untouched['failed'], untouched['changed']) == (False, False), untouched

        time.sleep(1)
        cfg.write_text(spec['newer'])
        reloaded = run_module('config_reload', args)
        assert (reloaded['failed'], reloaded['changed'], reloaded['reloaded']) == (False, True, True), reloaded
        again = run_module('config_reload', args)
        assert (again['failed'], again['changed']) == (False, False), again

        time.sleep(1)
        cfg.write_text(spec['broken'])
        refused = run_module('config_reload', args)
        assert refused['failed'] is True
        assert refused['msg'].startswith(spec['words']), refused['msg']
        assert refused['msg'].endswith("it keeps its previous config. See 'docker logs svc'.")
        assert '\n' not in refused['msg']
    finally:
        containers.cleanup()
