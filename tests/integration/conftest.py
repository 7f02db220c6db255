# -*- coding: utf-8 -*-
"""The real services for the integration tests, started once per session.

Prometheus 3.5, node-exporter 1.11 and cAdvisor 0.38.7 run from the rig's
images (the real programs from Debian's packages) on free loopback ports,
with host networking. cAdvisor runs three times, reading this machine's own
Docker engine: with the upstream mounts (healthy), without them (it sees only
the root cgroup), and with its Docker client pointed at no engine (containers
lose their names, as when an engine refuses its API version). Containers are
named ``cpm-test-<what>-<random>`` and removed at the end of the session.
"""

import json
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
    for key in ('RIG_IMAGE_PROMETHEUS', 'RIG_IMAGE_NODE_EXPORTER', 'RIG_IMAGE_CADVISOR'):
        ref = images.get(key)
        if not ref or subprocess.run(['docker', 'image', 'inspect', ref], capture_output=True, check=False).returncode != 0:
            pytest.fail('Image %s (%s) is not in the local Docker engine: run `make images` (rig/images.sh).'
                        % (key, ref), pytrace=False)
    return images


# Benchmark figures a test measured, shown in the terminal summary whatever
# the capture mode; they never fail a run.
BENCHMARK_FIGURES = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[BENCHMARK_FIGURES] = []


def pytest_terminal_summary(terminalreporter, config):
    figures = config.stash.get(BENCHMARK_FIGURES, [])
    if figures:
        terminalreporter.section('benchmark figures')
        for figure in figures:
            terminalreporter.write_line(figure)


@pytest.fixture
def benchmark_figure(request):
    """Call it with one line of text to show it in the terminal summary."""
    return request.config.stash[BENCHMARK_FIGURES].append


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

    def run(self, what, image, *args, volumes=(), options=()):
        name = 'cpm-test-%s-%s' % (what, secrets.token_hex(4))
        cmd = ['docker', 'run', '-d', '--name', name, '--network', 'host'] + list(options)
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


def _prometheus_config(ports):
    lines = ['global:', '  scrape_interval: %s' % SCRAPE, '  scrape_timeout: %s' % SCRAPE,
             '  evaluation_interval: %s' % SCRAPE, 'scrape_configs:']
    for job, port in ports.items():
        lines += ['  - job_name: %s' % job, '    static_configs:', "      - targets: ['127.0.0.1:%d']" % port]
    return '\n'.join(lines) + '\n'


# The cadvisor role's mounts and flags. --privileged cannot start here; the
# capability is what the role's rig settings grant instead.
CADVISOR_MOUNTS = ['/:/rootfs:ro', '/var/run:/var/run:ro', '/sys:/sys:ro', '/var/lib/docker:/var/lib/docker:ro']
CADVISOR_FLAGS = ['--docker_only=false', '--housekeeping_interval=1s', '--store_container_labels=false',
                  '--disable_metrics=advtcp,cpu_topology,hugetlb,memory_numa,percpu,process,referenced_memory,'
                  'resctrl,sched,tcp,udp']


def _run_cadvisors(containers, ports):
    """Healthy, without mounts, and with a Docker client that reaches no engine."""
    image = _images()['RIG_IMAGE_CADVISOR']
    caps = ['--cap-add', 'SYS_ADMIN']
    return {
        'cadvisor': containers.run('cadvisor', image, '--port=%d' % ports['cadvisor'], *CADVISOR_FLAGS,
                                   volumes=CADVISOR_MOUNTS, options=caps),
        'cadvisor-rootonly': containers.run('cadvisor-rootonly', image, '--port=%d' % ports['cadvisor-rootonly'],
                                            *CADVISOR_FLAGS, options=caps),
        'cadvisor-noname': containers.run('cadvisor-noname', image, '--port=%d' % ports['cadvisor-noname'],
                                          '--docker=unix:///var/run/cpm-no-docker.sock', *CADVISOR_FLAGS,
                                          volumes=CADVISOR_MOUNTS, options=caps),
    }


@pytest.fixture(scope='session')
def stack(tmp_path_factory):
    """Real Prometheus scraping two real node-exporters (jobs node-exporter
    and victim), itself, a closed port (job ghost) and three real cAdvisors
    (jobs cadvisor, cadvisor-rootonly, cadvisor-noname)."""
    images = _images()
    containers = Containers()
    try:
        jobs = ('prometheus', 'node-exporter', 'victim', 'ghost', 'cadvisor', 'cadvisor-rootonly', 'cadvisor-noname')
        ports = {job: free_port() for job in jobs}
        node_port, victim_port, ghost_port, prom_port = (
            ports['node-exporter'], ports['victim'], ports['ghost'], ports['prometheus'])
        node = containers.run('node', images['RIG_IMAGE_NODE_EXPORTER'],
                              '--web.listen-address=127.0.0.1:%d' % node_port)
        victim = containers.run('victim', images['RIG_IMAGE_NODE_EXPORTER'],
                                '--web.listen-address=127.0.0.1:%d' % victim_port)
        cadvisors = _run_cadvisors(containers, ports)
        cfg_dir = tmp_path_factory.mktemp('prom')
        cfg = os.path.join(str(cfg_dir), 'prometheus.yml')
        with open(cfg, 'w') as handle:
            handle.write(_prometheus_config(ports))
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
               'cadvisors': cadvisors}
    finally:
        containers.cleanup()


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


@pytest.fixture
def stack_containers(stack):
    """The stack's own running containers, in the Engine API's /containers/json shape."""
    ids = [c['id'] for c in (stack['node'], stack['victim'], stack['prometheus'], stack['cadvisors']['cadvisor'])]
    out = subprocess.run(['docker', 'inspect'] + ids, capture_output=True, text=True, check=True).stdout
    return [{'Id': c['Id'], 'Names': [c['Name']], 'Image': c['Config']['Image'], 'State': c['State']['Status']}
            for c in json.loads(out)]


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
