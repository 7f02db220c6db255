# -*- coding: utf-8 -*-
"""The real services for the integration tests, started once per session.

Prometheus 2.42 and node-exporter 1.5 run from the rig's images (the real
programs from Debian's packages) on free loopback ports, with host
networking so that Prometheus also scrapes the in-process cAdvisor
stand-in. Containers are named ``cpm-test-<what>-<random>`` and removed at
the end of the session.
"""

import os
import secrets
import socket
import subprocess
import tempfile
import time

import pytest
import requests

import standins

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRAPE = '1s'


def _images():
    env_file = os.path.join(REPO, '.rig', 'images.env')
    if not os.path.exists(env_file):
        pytest.fail('The rig images are missing (%s not found): run `make images` (rig/images.sh) first.'
                    % env_file, pytrace=False)
    images = {}
    with open(env_file) as handle:
        for line in handle:
            if '=' in line:
                key, value = line.strip().split('=', 1)
                images[key] = value
    for key in ('RIG_IMAGE_PROMETHEUS', 'RIG_IMAGE_NODE_EXPORTER'):
        ref = images.get(key)
        if not ref or subprocess.run(['docker', 'image', 'inspect', ref], capture_output=True, check=False).returncode != 0:
            pytest.fail('Image %s (%s) is not in the local Docker engine: run `make images` (rig/images.sh).'
                        % (key, ref), pytrace=False)
    return images


@pytest.fixture(scope='session')
def rig_images():
    """The rig's image references, each checked to be in the local engine."""
    return _images()


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Containers:
    """Starts containers and removes exactly the ones it started."""

    def __init__(self):
        self.ids = []

    def run(self, what, image, *args, volumes=()):
        name = 'cpm-test-%s-%s' % (what, secrets.token_hex(4))
        cmd = ['docker', 'run', '-d', '--name', name, '--network', 'host']
        for volume in volumes:
            cmd += ['-v', volume]
        cmd += [image] + list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            pytest.fail('docker run %s failed: %s' % (image, proc.stderr.strip()), pytrace=False)
        cid = proc.stdout.strip()
        self.ids.append(cid)
        return {'id': cid, 'name': name}

    def kill(self, cid):
        subprocess.run(['docker', 'rm', '-f', '-v', cid], capture_output=True, check=False)
        if cid in self.ids:
            self.ids.remove(cid)

    def cleanup(self):
        for cid in list(self.ids):
            self.kill(cid)


def _prometheus_config(node_port, victim_port, ghost_port, prom_port, cadvisor_port):
    jobs = [
        ('prometheus', prom_port, '/metrics'),
        ('node-exporter', node_port, '/metrics'),
        ('victim', victim_port, '/metrics'),
        ('ghost', ghost_port, '/metrics'),
        ('cadvisor', cadvisor_port, '/ok/metrics'),
        ('cadvisor-rootonly', cadvisor_port, '/rootonly/metrics'),
        ('cadvisor-noname', cadvisor_port, '/noname/metrics'),
        ('cadvisor-partial', cadvisor_port, '/partial/metrics'),
    ]
    lines = ['global:', '  scrape_interval: %s' % SCRAPE, '  scrape_timeout: %s' % SCRAPE,
             '  evaluation_interval: %s' % SCRAPE, 'scrape_configs:']
    for job, port, path in jobs:
        lines += ['  - job_name: %s' % job, '    metrics_path: %s' % path,
                  '    static_configs:', "      - targets: ['127.0.0.1:%d']" % port]
    return '\n'.join(lines) + '\n'


@pytest.fixture(scope='session')
def stack(tmp_path_factory):
    """Real Prometheus scraping two real node-exporters (jobs node-exporter
    and victim), itself, a closed port (job ghost) and the cAdvisor stand-in."""
    images = _images()
    containers = Containers()
    cadvisor = standins.StandIn(standins.cadvisor_routes())
    try:
        node_port, victim_port, ghost_port, prom_port = free_port(), free_port(), free_port(), free_port()
        node = containers.run('node', images['RIG_IMAGE_NODE_EXPORTER'],
                              '--web.listen-address=127.0.0.1:%d' % node_port)
        victim = containers.run('victim', images['RIG_IMAGE_NODE_EXPORTER'],
                                '--web.listen-address=127.0.0.1:%d' % victim_port)
        cfg_dir = tmp_path_factory.mktemp('prom')
        cfg = os.path.join(str(cfg_dir), 'prometheus.yml')
        with open(cfg, 'w') as handle:
            handle.write(_prometheus_config(node_port, victim_port, ghost_port, prom_port,
                                            int(cadvisor.url.rsplit(':', 1)[1])))
        os.chmod(str(cfg_dir), 0o755)
        os.chmod(cfg, 0o644)
        prom = containers.run('prometheus', images['RIG_IMAGE_PROMETHEUS'],
                              '--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus',
                              '--web.listen-address=127.0.0.1:%d' % prom_port,
                              volumes=['%s:/etc/prometheus/prometheus.yml:ro' % cfg])
        url = 'http://127.0.0.1:%d' % prom_port
        _wait_until_scraped(url, containers)
        yield {'url': url, 'node_port': node_port, 'victim_port': victim_port, 'ghost_port': ghost_port,
               'containers': containers, 'node': node, 'victim': victim, 'prometheus': prom,
               'cadvisor_url': cadvisor.url}
    finally:
        containers.cleanup()
        cadvisor.close()


def _wait_until_scraped(url, containers, timeout=60):
    """Until node-exporter has been up for a few scrapes, so that rate() over
    a few seconds has samples."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            resp = requests.get(url + '/api/v1/query',
                                params={'query': 'count_over_time(up{job="node-exporter"}[1m]) >= 6'}, timeout=2)
            body = resp.json()
            if body.get('data', {}).get('result'):
                return
            last = body
        except (requests.RequestException, ValueError) as exc:
            last = exc
        time.sleep(0.5)
    logs = subprocess.run(['docker', 'logs', '--tail', '20', containers.ids[-1]], capture_output=True, text=True, check=False)
    pytest.fail('Prometheus at %s did not scrape node-exporter within %d s (last: %s); its log:\n%s%s'
                % (url, timeout, last, logs.stdout, logs.stderr), pytrace=False)


@pytest.fixture(scope='session')
def misbehaving():
    server = standins.StandIn(standins.misbehave_routes())
    yield server.url
    server.close()


@pytest.fixture(scope='session')
def closed_port_url():
    return 'http://127.0.0.1:%d' % free_port()


@pytest.fixture
def docker_socket():
    path = os.path.join(tempfile.mkdtemp(prefix='cpm-docker-'), 'docker.sock')
    sock = standins.DockerSocket(path, standins.docker_containers_json())
    yield sock
    sock.close()
    os.rmdir(os.path.dirname(path))
