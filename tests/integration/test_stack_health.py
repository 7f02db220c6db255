# -*- coding: utf-8 -*-
"""stack_health, the t0 checks in one call, against the real Prometheus
scraping the real node-exporter and cAdvisor (conftest.py's stack), a Grafana
stand-in (standins.py) and a Docker engine stand-in on a Unix socket that
lists the stack's own containers.

Each row must say what the single-check module says for the same check: the
verification report reads the same whichever ran it.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

import standins

PANEL = {'id': 1, 'type': 'timeseries', 'title': 'Node up',
         'targets': [{'refId': 'A', 'expr': 'up{job="node-exporter"}'}]}
EMPTY = {'id': 2, 'type': 'timeseries', 'title': 'Nothing', 'targets': [{'refId': 'A', 'expr': 'up{job="absent"}'}]}
INFRA = {'uid': 'infra', 'title': 'Infra', 'panels': [PANEL]}
BROKEN = {'uid': 'broken-infra', 'title': 'Broken infra', 'panels': [PANEL, EMPTY]}


@pytest.fixture(scope='module')
def grafana():
    server = standins.StandIn(standins.grafana_routes({'infra': (INFRA, True), 'broken-infra': (BROKEN, True)}))
    yield server.url
    server.close()


@pytest.fixture
def stack_containers(stack):
    """The stack's containers that no other test stops (its victim is
    killed by one), in the Engine API's /containers/json shape."""
    ids = [c['id'] for c in (stack['node'], stack['prometheus'], stack['cadvisors']['cadvisor'])]
    out = subprocess.run(['docker', 'inspect'] + ids, capture_output=True, text=True, check=True).stdout
    return [{'Id': c['Id'], 'Names': [c['Name']], 'Image': c['Config']['Image'], 'State': c['State']['Status']}
            for c in json.loads(out)]


@pytest.fixture
def engine(stack_containers):
    """The engine stand-in, listing them as the running containers."""
    where = tempfile.mkdtemp(prefix='cpm-engine-')
    sock = standins.DockerSocket(os.path.join(where, 'docker.sock'), stack_containers)
    yield sock
    sock.close()
    shutil.rmtree(where)


def _names(containers):
    return [c['Names'][0].lstrip('/') for c in containers]


def _args(stack, grafana, engine, stack_containers, **more):
    names = _names(stack_containers)
    args = {'url': stack['url'], 'docker_host': engine.url, 'containers': names,
            'prometheus_container': stack['prometheus']['name'], 'grafana_container': None,
            'jobs': ['prometheus', 'node-exporter', 'cadvisor'], 'datasource': 'prometheus', 'dashboard': 'infra',
            'grafana_url': grafana, 'time_range': '2m', 'scrape_interval': '1s', 'wait_timeout': 30}
    args.update(more)
    return args


def test_every_check_passes_with_the_rows_of_the_single_modules(stack, grafana, engine, stack_containers, run_module):
    result = run_module('stack_health', _args(stack, grafana, engine, stack_containers, report_check='t0'))
    assert result['failed'] is False, result.get('msg')
    assert result['row'] == {'check': 't0', 'ok': True, 'detail': '5 checks passed'}
    assert result['changed'] is False
    assert result['prometheus_answers'] is True
    assert result['running'] == _names(stack_containers)
    rows = {row['check']: row for row in result['rows']}
    assert list(rows) == ['containers running', 'targets up', 'grafana healthy', 'dashboard panels have data',
                          'cadvisor sees every container']
    assert all(row['ok'] for row in result['rows'])
    assert rows['containers running']['detail'] == ', '.join(_names(stack_containers))
    assert rows['dashboard panels have data']['detail'] == '1 panels with data, 0 without a query'
    assert result['results']['dashboard']['summary']['data'] == 1
    # The same checks, each by its own module, give the same rows.
    alone = {
        'grafana healthy': run_module('grafana_health', {
            'url': grafana, 'datasources': ['prometheus'], 'dashboards': ['infra'], 'require_provisioned': True,
            'report_check': 'grafana healthy'}),
        'cadvisor sees every container': run_module('cadvisor_coverage', {
            'url': stack['url'], 'docker_host': engine.url, 'report_check': 'cadvisor sees every container'}),
        'targets up': run_module('prometheus_targets', {
            'url': stack['url'], 'jobs': ['prometheus', 'node-exporter', 'cadvisor'], 'check_reload': True,
            'report_check': 'targets up'}),
    }
    for check, single in alone.items():
        assert rows[check] == single['row'], check
    assert rows['cadvisor sees every container']['detail'] == '3/3 running containers seen'


def test_each_problem_is_a_row_of_its_own(stack, grafana, engine, stack_containers, run_module):
    result = run_module('stack_health', _args(stack, grafana, engine, stack_containers, dashboard='broken-infra',
                                              containers=_names(stack_containers) + ['cpm-test-gone'],
                                              jobs=['prometheus', 'absent-job'], wait_timeout=0))
    assert result['failed'] is True
    rows = {row['check']: row for row in result['rows']}
    # cAdvisor's job is not expected: no row of it.
    assert list(rows) == ['containers running', 'targets up', 'grafana healthy', 'dashboard panels have data']
    assert rows['containers running'] == {'check': 'containers running', 'ok': False, 'detail': 'not running: cpm-test-gone'}
    assert not rows['targets up']['ok']
    assert 'job absent-job: no targets' in rows['targets up']['detail']
    assert rows['grafana healthy']['ok']
    assert not rows['dashboard panels have data']['ok']
    assert "panel 'Nothing' (id 2) has no data: query A sent: up{job=\"absent\"}" in rows['dashboard panels have data']['detail']
    assert result['msg'] == 'The t0 checks failed: %s' % ' | '.join(
        '%s: %s' % (row['check'], row['detail']) for row in result['rows'] if not row['ok'])


def test_a_prometheus_that_does_not_answer_is_not_waited_for(stack, grafana, engine, stack_containers,
                                                             closed_port_url, run_module):
    started = time.monotonic()
    result = run_module('stack_health', _args(stack, grafana, engine, stack_containers, url=closed_port_url,
                                              prometheus_container='cpm-test-stopped',
                                              containers=_names(stack_containers) + ['cpm-test-stopped'],
                                              wait_timeout=60))
    elapsed = time.monotonic() - started
    assert result['failed'] is True
    assert result['prometheus_answers'] is False
    assert [(row['check'], row['ok']) for row in result['rows']] == [
        ('containers running', False), ('targets up', False), ('grafana healthy', True),
        ('dashboard panels have data', False), ('cadvisor sees every container', False)]
    assert result['rows'][1]['detail'].startswith('Could not reach Prometheus at %s/api/v1/targets: ' % closed_port_url)
    for row in result['rows'][3:]:
        assert row['detail'] == 'not checked: Prometheus does not answer (see targets up)'
    # Its container is not running, so no check waited the 60 s.
    assert elapsed < 30


def test_an_engine_that_does_not_answer_is_the_containers_row(stack, grafana, stack_containers, run_module):
    where = tempfile.mkdtemp(prefix='cpm-engine-')
    try:
        result = run_module('stack_health', {
            'url': stack['url'], 'docker_host': 'unix://' + os.path.join(where, 'none.sock'),
            'containers': ['prometheus'], 'jobs': ['prometheus'], 'datasource': 'prometheus', 'dashboard': 'infra',
            'grafana_url': grafana, 'time_range': '2m', 'scrape_interval': '1s'})
    finally:
        shutil.rmtree(where)
    assert result['failed'] is True
    row = result['rows'][0]
    assert (row['check'], row['ok']) == ('containers running', False)
    assert row['detail'].startswith('Could not reach Docker at unix://')
    assert [r['ok'] for r in result['rows'][1:]] == [True, True, True]


@pytest.mark.parametrize('args, message', [
    ({'jobs': [{'name': ''}]}, 'jobs[0].name'),
    ({'time_range': 'soon'}, 'time_range'),
    ({'containers': ['']}, 'containers[0]'),
    ({'docker_host': 'docker.sock'}, 'docker_host'),
    ({'grafana_url': 'grafana:3000'}, 'grafana_url'),
])
def test_a_bad_option_is_one_line_without_rows(run_module, args, message):
    base = {'datasource': 'prometheus', 'dashboard': 'infra'}
    result = run_module('stack_health', dict(base, **args))
    assert result['failed'] is True
    assert 'rows' not in result
    assert message in result['msg'] and '\n' not in result['msg']
