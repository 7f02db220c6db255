# -*- coding: utf-8 -*-
"""Benchmark grafana_dashboard_data: one dashboard of about 300 queries,
run sequentially (concurrency 1) and then concurrently, against a real
Prometheus. Prints queries per second and the speed-up.

Not a test: nothing is asserted. Usage, from the repository root after
`make setup images`:

    .venv/bin/python benchmarks/dashboard_queries.py [--url URL] [--concurrency 8] [--rounds 3]

Without --url it starts Prometheus and node-exporter from the rig's images
on free loopback ports (containers cpm-bench-*), waits for a minute of
data, and removes them at the end.
"""

import argparse
import contextlib
import io
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, '.collections'))

from ansible.module_utils import basic  # noqa: E402 pylint: disable=wrong-import-position

MODULE = 'ansible_collections.coinpilot.monitoring.plugins.modules.grafana_dashboard_data'


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def docker(*args):
    return subprocess.run(['docker'] + list(args), capture_output=True, text=True, check=True).stdout.strip()


def images():
    env = {}
    with open(os.path.join(REPO, '.rig', 'images.env')) as handle:
        for line in handle:
            key, dummy, value = line.strip().partition('=')
            env[key] = value
    return env['RIG_IMAGE_PROMETHEUS'], env['RIG_IMAGE_NODE_EXPORTER']


@contextlib.contextmanager
def local_prometheus(scrape='1s', warmup=60):
    prom_image, node_image = images()
    node_port, prom_port = free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix='cpm-bench-')
    cfg = os.path.join(tmp, 'prometheus.yml')
    with open(cfg, 'w') as handle:
        handle.write('global: {scrape_interval: %s}\nscrape_configs:\n'
                     '  - job_name: node-exporter\n    static_configs: [{targets: ["127.0.0.1:%d"]}]\n'
                     '  - job_name: prometheus\n    static_configs: [{targets: ["127.0.0.1:%d"]}]\n'
                     % (scrape, node_port, prom_port))
    os.chmod(tmp, 0o755)
    os.chmod(cfg, 0o644)
    suffix = secrets.token_hex(4)
    started = []
    try:
        started.append(docker('run', '-d', '--name', 'cpm-bench-node-' + suffix, '--network', 'host', node_image,
                              '--web.listen-address=127.0.0.1:%d' % node_port))
        started.append(docker('run', '-d', '--name', 'cpm-bench-prometheus-' + suffix, '--network', 'host',
                              '-v', '%s:/etc/prometheus/prometheus.yml:ro' % cfg, prom_image,
                              '--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus',
                              '--web.listen-address=127.0.0.1:%d' % prom_port))
        url = 'http://127.0.0.1:%d' % prom_port
        print('started Prometheus at %s; collecting %d s of data' % (url, warmup), file=sys.stderr)
        time.sleep(warmup)
        yield url
    finally:
        for cid in started:
            subprocess.run(['docker', 'rm', '-f', '-v', cid], capture_output=True, check=False)
        os.unlink(cfg)
        os.rmdir(tmp)


def metric_names(url):
    query = urllib.parse.urlencode({'match[]': '{job="node-exporter"}'})
    with urllib.request.urlopen('%s/api/v1/label/__name__/values?%s' % (url, query), timeout=10) as resp:
        return json.load(resp)['data']


def build_dashboard(names, size):
    """About ``size`` queries in rows of panels, written the way real
    dashboards write them: variables, $__rate_interval, aggregations."""
    counters = [n for n in names if n.endswith('_total')]
    gauges = [n for n in names if not n.endswith(('_total', '_bucket', '_count', '_sum'))]
    shapes = [
        lambda m: 'sum by (instance) (rate(%s{job="$job", instance=~"$instance"}[$__rate_interval]))' % m,
        lambda m: 'topk(5, rate(%s{instance=~"$instance"}[$__rate_interval]))' % m,
        lambda m: 'max_over_time(%s{job="$job"}[$__interval])' % m,
        lambda m: 'avg(%s{instance=~`${instance:regex}`})' % m,
    ]
    targets = []
    i = 0
    while len(targets) < size:
        shape = shapes[i % len(shapes)]
        pool = counters if i % len(shapes) < 2 else gauges
        targets.append(shape(pool[(i // len(shapes)) % len(pool)]))
        i += 1
    panels = []
    per_panel = 4
    for n in range(0, len(targets), per_panel):
        if n % (per_panel * 10) == 0:
            panels.append({'type': 'row', 'title': 'Row %d' % (n // (per_panel * 10) + 1), 'panels': []})
        panels.append({'id': n // per_panel + 1, 'type': 'timeseries', 'title': 'Panel %d' % (n // per_panel + 1),
                       'targets': [{'refId': chr(65 + k), 'expr': e} for k, e in enumerate(targets[n:n + per_panel])]})
    return {'title': 'Benchmark', 'uid': 'cpm-bench', 'time': {'from': 'now-5m', 'to': 'now'}, 'panels': panels,
            'templating': {'list': [
                {'name': 'job', 'type': 'query', 'query': 'label_values(node_uname_info, job)', 'refresh': 1},
                {'name': 'instance', 'type': 'query', 'query': 'label_values(node_uname_info{job="$job"}, instance)',
                 'refresh': 1, 'multi': True, 'includeAll': True, 'current': {'value': '$__all'}},
            ]}}


def run_module(args):
    """Run the module in-process, as Ansible would run it on the host."""
    module = __import__(MODULE, fromlist=['main'])
    basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode('utf-8')
    basic._ANSIBLE_PROFILE = 'legacy'
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit:
            pass
    return json.loads(out.getvalue())


def measure(url, dashboard, concurrency, rounds):
    times = []
    for dummy in range(rounds):
        start = time.perf_counter()
        result = run_module({'url': url, 'dashboard': dashboard, 'scrape_interval': '1s',
                             'concurrency': concurrency, 'time_range': '5m'})
        times.append(time.perf_counter() - start)
        if 'summary' not in result or result['summary']['error']:
            raise SystemExit('the module failed: %s' % result.get('msg'))
    return statistics.median(times), result['summary']


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--url', help='an existing Prometheus with node-exporter data (job node-exporter)')
    parser.add_argument('--queries', type=int, default=300)
    parser.add_argument('--concurrency', type=int, default=8)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=60, help='seconds of data to collect first (no --url)')
    opts = parser.parse_args()

    with (contextlib.nullcontext(opts.url) if opts.url else local_prometheus(warmup=opts.warmup)) as url:
        dashboard = build_dashboard(metric_names(url), opts.queries)
        run_module({'url': url, 'dashboard': dashboard, 'scrape_interval': '1s'})  # warm caches
        seq, summary = measure(url, dashboard, 1, opts.rounds)
        par, dummy = measure(url, dashboard, opts.concurrency, opts.rounds)
    queries = summary['queries']
    print('dashboard: %d panels, %d queries (data %d, no_data %d, error %d)'
          % (sum(summary[k] for k in ('data', 'no_data', 'error', 'skipped')), queries,
             summary['data'], summary['no_data'], summary['error']))
    print('sequential (concurrency 1): %6.2f s  %7.1f queries/s' % (seq, queries / seq))
    print('concurrent (concurrency %d): %6.2f s  %7.1f queries/s' % (opts.concurrency, par, queries / par))
    print('speed-up: %.2fx  (median of %d rounds each; %d CPU cores)' % (seq / par, opts.rounds, os.cpu_count()))


if __name__ == '__main__':
    main()
