# -*- coding: utf-8 -*-
"""Remote write into the real VictoriaMetrics, and a store outage survived.

The real Prometheus 3.5 scrapes itself and a real node-exporter every second
and remote-writes, with a ``host`` external label, to the real
VictoriaMetrics 1.112, all on loopback. First the verification modules run
against the store unchanged, as they run against Prometheus. Then the store
is stopped for a minute while Prometheus keeps scraping, and started again on
the same data: the WAL-backed queue must catch up, and for the outage window
the store must hold exactly the samples the local Prometheus holds.

The catch-up time is a benchmark figure: it is shown in the terminal summary
(and written to .rig/remote-write-catchup.txt), never asserted.
"""

import json
import os
import re
import subprocess
import time

import pytest
import requests

from conftest import Containers, REPO, free_port
from test_ansible_e2e import ansible

HOST = 'cpm-test-host'
OUTAGE = 60
# A short retry backoff, so that the queue notices the store is back within a
# second instead of Prometheus' default of up to 5 s.
QUEUE = {'min_backoff': '50ms', 'max_backoff': '1s', 'batch_send_deadline': '1s'}
FIXTURES = os.path.join(REPO, 'tests', 'fixtures', 'dashboards')
CATCHUP_FILE = os.path.join(REPO, '.rig', 'remote-write-catchup.txt')


def _config(prom_port, node_port, vm_port):
    return json.dumps({
        'global': {'scrape_interval': '1s', 'scrape_timeout': '1s', 'evaluation_interval': '1s',
                   'external_labels': {'host': HOST}},
        'scrape_configs': [
            {'job_name': 'prometheus', 'static_configs': [{'targets': ['127.0.0.1:%d' % prom_port]}]},
            {'job_name': 'node-exporter', 'static_configs': [{'targets': ['127.0.0.1:%d' % node_port]}]}],
        'remote_write': [{'url': 'http://127.0.0.1:%d/api/v1/write' % vm_port, 'name': 'vm', 'queue_config': QUEUE}],
    }, indent=1)


def _query(url, expr, at=None, timeout=5):
    params = {'query': expr}
    if at is not None:
        params['time'] = '%.3f' % at
    body = requests.get(url + '/api/v1/query', params=params, timeout=timeout).json()
    assert body.get('status') == 'success', (url, expr, body)
    return body['data']['result']


def _samples(url, selector, at):
    """The raw samples of a range selector, by series (the store's host label left out)."""
    out = {}
    for series in _query(url, selector, at=at):
        labels = tuple(sorted((k, v) for k, v in series['metric'].items() if k != 'host'))
        out[labels] = [(round(float(t), 3), v) for t, v in series['values']]
    return out


def _metrics(url):
    """Prometheus' own /metrics, read directly: a scrape of it would lag."""
    values = {}
    for line in requests.get(url + '/metrics', timeout=5).text.splitlines():
        if line.startswith('prometheus_remote_storage_') and ' ' in line:
            name, value = line.rsplit(' ', 1)
            values[name] = float(value)
    return values


def _queue_state(url):
    """(pending samples, age of the newest sample sent, failed samples) of the vm queue."""
    m = _metrics(url)

    def one(prefix):
        return sum(v for k, v in m.items() if k.startswith(prefix + '{') and 'remote_name="vm"' in k)

    sent = one('prometheus_remote_storage_queue_highest_sent_timestamp_seconds')
    return (one('prometheus_remote_storage_samples_pending'), (time.time() - sent) if sent else None,
            one('prometheus_remote_storage_samples_failed_total'))


def _wait(what, check, timeout, step=0.25):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            ok, last = check()
            if ok:
                return last
        except (requests.RequestException, ValueError, KeyError) as exc:
            last = exc
        time.sleep(step)
    pytest.fail('%s did not happen within %d s (last: %s)' % (what, timeout, last), pytrace=False)


def _docker(*args):
    proc = subprocess.run(['docker'] + list(args), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture(scope='module')
def remote_write(rig_images, tmp_path_factory):
    if 'RIG_IMAGE_VICTORIA_METRICS' not in rig_images:
        pytest.fail('The VictoriaMetrics rig image is missing: run `make images` (rig/images.sh).', pytrace=False)
    containers = Containers()
    try:
        prom_port, node_port, vm_port = free_port(), free_port(), free_port()
        vm = containers.run(
            'vm', rig_images['RIG_IMAGE_VICTORIA_METRICS'], '-storageDataPath=/victoria-metrics-data',
            '-retentionPeriod=1', '-httpListenAddr=127.0.0.1:%d' % vm_port,
            # The comparison must read what is stored, not an answer cached
            # during the outage; and the store's default 30 s latency offset
            # would only make the test wait.
            '-search.disableCache', '-search.latencyOffset=1s')
        containers.run('node', rig_images['RIG_IMAGE_NODE_EXPORTER'], '--web.listen-address=127.0.0.1:%d' % node_port)
        cfg_dir = tmp_path_factory.mktemp('prom-rw')
        cfg = cfg_dir / 'prometheus.yml'
        cfg.write_text(_config(prom_port, node_port, vm_port))
        os.chmod(str(cfg_dir), 0o755)
        os.chmod(str(cfg), 0o644)
        prom = containers.run('prometheus-rw', rig_images['RIG_IMAGE_PROMETHEUS'],
                              '--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus',
                              '--web.listen-address=127.0.0.1:%d' % prom_port,
                              volumes=['%s:/etc/prometheus/prometheus.yml:ro' % cfg])
        stack = {'prometheus': 'http://127.0.0.1:%d' % prom_port, 'store': 'http://127.0.0.1:%d' % vm_port,
                 'vm': vm, 'prom': prom, 'node_port': node_port, 'containers': containers}
        # A few seconds of both jobs at the store, so rate() has samples.
        _wait('both jobs arriving at the store', lambda: (
            len(_query(stack['store'], 'count_over_time(up{host="%s"}[1m]) >= 6' % HOST)) == 2, None), 60)
        yield stack
    finally:
        containers.cleanup()


def test_prometheus_query_against_the_store(remote_write, run_module):
    """The host label arrived, and the module reads the store as it reads Prometheus."""
    args = {'url': remote_write['store'], 'query': 'count by (host) (count_over_time(up[1m]))',
            'by_label': 'host', 'expected_values': [HOST], 'expect': 'in_range', 'min_value': 1}
    result = run_module('prometheus_query', args)
    assert result['failed'] is False, result.get('msg')
    assert result['result_type'] == 'vector'
    assert [s['metric'] for s in result['result']] == [{'host': HOST}]
    assert result['missing'] == []

    missing = run_module('prometheus_query', dict(args, expected_values=[HOST, 'oci-2'], wait_timeout=2))
    assert missing['failed'] is True
    assert missing['missing'] == ['oci-2']
    assert missing['msg'] == 'Query %s on Prometheus at %s: no series for host="oci-2"' % (
        args['query'], remote_write['store'])

    series = run_module('prometheus_query', {'url': remote_write['store'], 'query': 'up{job="node-exporter"}',
                                             'expect': 'in_range', 'min_value': 1, 'max_value': 1})
    assert series['failed'] is False, series.get('msg')
    assert series['result'][0]['metric'] == {'__name__': 'up', 'job': 'node-exporter', 'host': HOST,
                                             'instance': '127.0.0.1:%d' % remote_write['node_port']}

    # The same path prefix as the store's cluster version and Grafana's datasource use.
    prefixed = run_module('prometheus_query', {'url': remote_write['store'] + '/prometheus',
                                               'query': 'up{job="prometheus"}'})
    assert prefixed['failed'] is False, prefixed.get('msg')
    assert prefixed['series_count'] == 1


def test_rejected_query_names_the_store(remote_write, run_module):
    result = run_module('prometheus_query', {'url': remote_write['store'], 'query': 'sum(rate(up[5m]',
                                             'wait_timeout': 2})
    assert result['failed'] is True
    assert result['msg'].startswith("Prometheus at %s/api/v1/query rejected the query from option 'query': "
                                    % remote_write['store'])
    assert result['msg'].endswith('; query: sum(rate(up[5m]')


def test_dashboard_data_against_the_store(remote_write, run_module):
    """Every panel of a real dashboard, its variables included, answered by the store."""
    result = run_module('grafana_dashboard_data', {
        'url': remote_write['store'], 'path': os.path.join(FIXTURES, 'node-overview.json'),
        'time_range': '1m', 'scrape_interval': '1s', 'wait_timeout': 20})
    assert result['failed'] is False, result.get('msg')
    assert result['failed_panels'] == []
    assert result['summary']['no_data'] == 0 and result['summary']['error'] == 0
    assert result['summary']['data'] >= 11


def _verify_rows(stack, tmp_path, **extra):
    """playbooks/tasks/verify_remote_write.yml on this machine, against the stack."""
    play_vars = dict({'monitoring_store_url': stack['store'], 'verify_prometheus_url': stack['prometheus'],
                      'verify_prometheus_username': '', 'verify_rows': [], 'verify_wait_timeout': 3,
                      'prometheus_external_labels_host': HOST, 'monitoring_store_window': '1m',
                      'prometheus_remote_write': [{'url': stack['store'] + '/api/v1/write'}]}, **extra)
    playbook = tmp_path / 'verify-store.yml'
    playbook.write_text(json.dumps([{
        'name': 'Verify the store', 'hosts': 'localhost', 'gather_facts': False, 'vars': play_vars,
        # As playbooks/tasks/verify.yml sets them for the checks it runs.
        'module_defaults': {'group/coinpilot.monitoring.prometheus': {'url': stack['prometheus']}},
        'tasks': [{'name': 'Store checks', 'ansible.builtin.import_tasks':
                   os.path.join(REPO, 'playbooks', 'tasks', 'verify_remote_write.yml')},
                  {'name': 'Rows', 'ansible.builtin.debug': {'var': 'verify_rows'}}]}]))
    proc, out = ansible('ansible-playbook', str(playbook))
    assert proc.returncode == 0, proc.stdout[-3000:]
    return out['plays'][0]['tasks'][-1]['hosts']['localhost']['verify_rows']


def test_verify_task_file_passes_on_a_healthy_queue(remote_write, tmp_path):
    rows = _verify_rows(remote_write, tmp_path)
    assert [(r['check'], r['ok']) for r in rows] == [
        ("store has every host's series", True), ('remote write: no failed samples in 1m', True),
        ('remote write: backlog under 10000', True)]
    assert rows[0]['detail'] == '%s: 2 up series in 1m' % HOST
    assert rows[1]['detail'] == 'vm: 0 failed'
    assert rows[2]['detail'].startswith('vm: ') and rows[2]['detail'].endswith(' pending')


def test_verify_task_file_names_a_missing_host_and_a_backlog(remote_write, tmp_path):
    rows = _verify_rows(remote_write, tmp_path, monitoring_store_expected_hosts=[HOST, 'oci-2'],
                        monitoring_store_max_pending=-1)
    assert [(r['check'], r['ok']) for r in rows] == [
        ("store has every host's series", False), ('remote write: no failed samples in 1m', True),
        ('remote write: backlog under -1', False)]
    assert rows[0]['detail'].startswith('%s: 2 up series in 1m; Query ' % HOST)
    assert rows[0]['detail'].endswith(': no series for host="oci-2"')
    # Right after a scrape a few hundred samples are in flight: any count is over -1.
    assert re.search(r'; out of range: \{remote_name="vm"\} = [0-9]+$', rows[2]['detail']), rows[2]['detail']


def _aligned_window(prom, start, end):
    """An evaluation time and a whole-second window from about ``start`` to
    ``end`` whose edges fall half-way between two scrapes, so that both sides
    count exactly the same samples whatever their boundary rules."""
    samples = _query(prom, 'up{job="prometheus"}[%ds]' % (int(end - start) + 2), at=end)[0]['values']
    times = [float(t) for t, _v in samples]
    at = times[-1] + 0.5
    return at, int(round(at - (times[0] + 0.5)))


def test_store_outage_is_survived(remote_write, benchmark_figure):
    prom, store, vm = remote_write['prometheus'], remote_write['store'], remote_write['vm']
    assert _queue_state(prom)[2] == 0

    stopped = time.time()
    _docker('stop', '-t', '10', vm['id'])
    time.sleep(OUTAGE)
    pending, age, failed = _queue_state(prom)
    assert age is not None and age > OUTAGE - 10, 'the queue kept sending while the store was down (age %s)' % age
    backlog = pending
    started = time.time()
    _docker('start', vm['id'])

    # Caught up: nothing pending, and the newest sample sent is a scrape old.
    def caught_up():
        state = _queue_state(prom)
        return state[0] == 0 and state[1] is not None and state[1] < 3, state

    pending, age, failed = _wait('the remote-write queue catching up', caught_up, 90, step=0.1)
    catchup = time.time() - started
    assert failed == 0, 'samples were dropped as failed: %s' % failed

    # The window: from before the stop to after the restart, in the past for both.
    at, window = _aligned_window(prom, stopped - 5, started + 5)
    _wait('the window ending in the past', lambda: (time.time() > at + 2, None), 30)
    # The store makes what it took in searchable about a second later; ask
    # it to do so now, so that the last batches of the backlog are counted.
    requests.get(store + '/internal/force_flush', timeout=10).raise_for_status()
    expr = 'count_over_time(up{job="%%s"}[%ds])' % window
    counts = {}
    for job in ('prometheus', 'node-exporter'):
        local = _query(prom, expr % job, at=at)
        central = _query(store, expr % job, at=at)
        assert len(local) == 1 and len(central) == 1, (local, central)
        assert central[0]['metric'].get('host') == HOST
        counts[job] = (int(float(local[0]['value'][1])), int(float(central[0]['value'][1])))
    # Beyond `up`: every raw sample of a family of series, series by series.
    raw = '{job="prometheus", __name__=~"prometheus_tsdb_head_.*"}[%ds]' % window
    local_raw, central_raw = _samples(prom, raw, at), _samples(store, raw, at)
    local_total, central_total = sum(map(len, local_raw.values())), sum(map(len, central_raw.values()))

    figure = ('remote write to VictoriaMetrics: store down %d s, backlog %d samples, caught up in %.1f s '
              '(window %d s: up{job="prometheus"} %d local / %d at the store, up{job="node-exporter"} %d / %d, '
              'prometheus_tsdb_head_* samples %d / %d)'
              % (OUTAGE, backlog, catchup, window, counts['prometheus'][0], counts['prometheus'][1],
                 counts['node-exporter'][0], counts['node-exporter'][1], local_total, central_total))
    print('\n' + figure)
    benchmark_figure(figure)
    os.makedirs(os.path.dirname(CATCHUP_FILE), exist_ok=True)
    with open(CATCHUP_FILE, 'w') as handle:
        handle.write(figure + '\n')

    for job, (local, central) in counts.items():
        assert local >= window - 2, 'the local Prometheus missed scrapes of %s: %d in %d s' % (job, local, window)
        assert central == local, 'the store lost samples of %s in the outage window: %s' % (job, figure)
    assert local_raw and central_raw == local_raw, figure
