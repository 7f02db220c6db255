# -*- coding: utf-8 -*-
"""grafana_dashboard_data on whole dashboards against the real Prometheus
and node-exporter data.

The dashboards under tests/fixtures/dashboards are realistic: rows (expanded,
collapsed, repeated), repeated panels, chained query variables of every kind,
the old ``rows`` schema, library panels, and a dashboard broken on purpose.
Fetching by uid and library panels go through the Grafana stand-in (see
standins.py), whose answers have the shape of Grafana's HTTP API docs.
"""

import json
import os

import pytest
import requests

import standins

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'fixtures', 'dashboards')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def by_title(result):
    return {p['title']: p for p in result['panels']}


@pytest.fixture(scope='module')
def cpus(stack):
    body = requests.get(stack['url'] + '/api/v1/query', params={
        'query': 'count by (cpu) (node_cpu_seconds_total{job="node-exporter"})'}, timeout=5).json()
    # The dashboard's cpu variable sorts alphabetically (sort 1).
    return sorted(s['metric']['cpu'] for s in body['data']['result'])


@pytest.fixture(scope='module')
def node_overview(stack, run_module):
    return run_module('grafana_dashboard_data', {
        'url': stack['url'], 'path': os.path.join(FIXTURES, 'node-overview.json'),
        'time_range': '2m', 'scrape_interval': '1s', 'report_check': 'panels have data'})


def test_node_overview_every_panel_has_data(node_overview, cpus):
    result = node_overview
    assert result['failed'] is False, result.get('msg')
    assert result['changed'] is False
    assert result['dashboard'] == {'title': 'Node overview', 'uid': 'cpm-node-overview'}
    titles = [p['title'] for p in result['panels']]
    assert titles == ['Targets up', 'CPU busy', 'CPU by mode', 'Load (node_load1)', 'Load, averaged per interval',
                      'Samples in range', 'About', 'Memory available', 'Uptime', 'Filesystem used',
                      'Network received'] + ['CPU %s idle' % c for c in cpus]
    statuses = {p['title']: p['status'] for p in result['panels']}
    assert statuses.pop('About') == 'skipped'
    assert set(statuses.values()) == {'data'}
    assert result['summary'] == {'data': 10 + len(cpus), 'no_data': 0, 'error': 0, 'skipped': 1,
                                 'queries': 10 + len(cpus)}
    assert result['failed_panels'] == []
    assert result['row'] == {'check': 'panels have data', 'ok': True,
                             'detail': '%d panels with data, 1 without a query' % (10 + len(cpus))}


def test_node_overview_queries_are_expanded_as_grafana_does(node_overview, stack):
    panels = by_title(node_overview)
    inst = '127.0.0.1:%d' % stack['node_port']
    prom_escaped = inst.replace('.', '\\\\.')
    regex_escaped = inst.replace('.', '\\.')

    def query(title):
        targets = panels[title]['targets']
        assert len(targets) == 1
        return targets[0]['query']

    assert query('Targets up') == 'up{job="node-exporter"}'
    assert panels['Targets up']['targets'][0]['instant'] is True
    assert query('CPU busy') == ('sum by (instance) (rate(node_cpu_seconds_total{job="node-exporter", instance=~"%s", '
                                 'mode!="idle"}[4s]))' % prom_escaped)
    assert query('CPU by mode') == ('sum by (mode) (rate(node_cpu_seconds_total{instance=~`%s`, '
                                    'mode=~"(user|system)"}[4s]))' % regex_escaped)
    assert query('Load (node_load1)') == 'node_load1{instance=~"%s"}' % prom_escaped
    assert query('Load, averaged per interval') == 'avg_over_time(node_load1{instance=~"%s"}[1s])' % prom_escaped
    assert query('Samples in range') == 'count_over_time(up{job="node-exporter"}[120s])'
    assert query('Filesystem used').startswith('1 - node_filesystem_avail_bytes{instance=~"%s", '
                                               'fstype=~"ext4|xfs|overlay|tmpfs", mountpoint=~"/.*"}' % prom_escaped)
    # the interval variable's saved choice
    assert query('Network received') == ('rate(node_network_receive_bytes_total{job="node-exporter", '
                                         'instance=~"%s"}[10s])' % prom_escaped)
    # the hidden target is not run
    assert [t['ref_id'] for t in panels['Memory available']['targets']] == ['A']
    assert panels['Memory available']['row'] == 'Instance %s' % inst
    assert panels['Memory available']['repeat'] == {'instance': inst}
    assert panels['Filesystem used']['row'] == 'Disks and network'


def test_node_overview_repeats_per_cpu(node_overview, cpus):
    panels = by_title(node_overview)
    for cpu in cpus:
        panel = panels['CPU %s idle' % cpu]
        assert panel['repeat'] == {'cpu': cpu}
        assert 'cpu=~"%s"' % cpu in panel['targets'][0]['query']
        assert panel['status'] == 'data'


def test_node_overview_variables(node_overview, stack, cpus):
    variables = node_overview['variables']
    inst = '127.0.0.1:%d' % stack['node_port']
    assert variables['job'] == {'value': 'node-exporter', 'values': ['node-exporter'], 'all': False}
    assert variables['instance'] == {'value': '$__all', 'values': [inst], 'all': True}
    assert variables['mode']['values'] == ['user', 'system']
    assert variables['interval']['values'] == ['10s']
    assert variables['load_metric']['values'] == ['node_load1']
    assert variables['cpu']['values'] == cpus
    assert variables['fs_types']['values'] == ['ext4|xfs|overlay|tmpfs']
    assert variables['mountpoint']['values'] == ['/.*']
    assert 'Filters' not in variables


def test_variable_override_that_matches_nothing(stack, run_module):
    result = run_module('grafana_dashboard_data', {
        'url': stack['url'], 'path': os.path.join(FIXTURES, 'node-overview.json'), 'time_range': '2m',
        'scrape_interval': '1s', 'variables': {'instance': '10.9.9.9:9100'},
        'required_panels': ['CPU busy', 'Targets up']})
    assert result['failed'] is True
    panels = by_title(result)
    assert panels['Targets up']['status'] == 'data'
    assert panels['CPU busy']['status'] == 'no_data'
    assert result['failed_panels'] == ['CPU busy']
    # 11, not 12: the cpu variable's query_result() finds no CPU of that
    # instance, so the per-CPU panel is not repeated (it has no data, but is
    # not required).
    assert by_title(result)['CPU  idle']['status'] == 'no_data'
    assert result['msg'] == (
        "Dashboard 'Node overview' against Prometheus at %s: 1 of 11 panels failed: panel 'CPU busy' (id 2) has "
        "no data: query A sent: sum by (instance) (rate(node_cpu_seconds_total{job=\"node-exporter\", "
        "instance=~\"10\\\\.9\\\\.9\\\\.9:9100\", mode!=\"idle\"}[4s]))" % stack['url'])


def test_broken_dashboard_names_each_panel(stack, run_module):
    result = run_module('grafana_dashboard_data', {
        'url': stack['url'], 'dashboard': fixture('broken.json'), 'scrape_interval': '1s', 'report_check': 'panels'})
    assert result['failed'] is True
    assert result['row'] == {'check': 'panels', 'ok': False, 'detail': result['msg']}
    statuses = {p['title']: p['status'] for p in result['panels']}
    assert statuses == {'Targets up': 'data', 'Orders per second': 'no_data', 'Typo in PromQL': 'error',
                        'App logs': 'skipped', 'Mixed sources': 'data'}
    assert [t['ref_id'] for t in by_title(result)['Mixed sources']['targets']] == ['A']
    assert result['failed_panels'] == ['Orders per second', 'Typo in PromQL']
    url = stack['url']
    assert result['msg'] == (
        "Dashboard 'Broken on purpose' against Prometheus at %s: 2 of 4 panels failed: "
        "panel 'Orders per second' (id 2) has no data: query A sent: "
        "sum(rate(coinpilot_orders_total{job=\"node-exporter\"}[4s])) | "
        "panel 'Typo in PromQL' (id 3) failed: Prometheus at %s/api/v1/query_range rejected the query from "
        "panel 'Typo in PromQL' (id 3), query A: invalid parameter \"query\": 1:58: parse error: unclosed left "
        "parenthesis; query: sum(rate(node_cpu_seconds_total{job=\"node-exporter\"}[5m])" % (url, url))


def test_required_and_ignored_panels(stack, run_module):
    args = {'url': stack['url'], 'dashboard': json.dumps(fixture('broken.json')), 'scrape_interval': '1s',
            'required_panels': ['Targets up', '5']}
    result = run_module('grafana_dashboard_data', args)
    # a rejected query fails the module whatever is required
    assert result['failed'] is True
    assert result['failed_panels'] == ['Typo in PromQL']
    result = run_module('grafana_dashboard_data', dict(args, ignore_panels=['Typo in PromQL']))
    assert result['failed'] is False, result['msg']
    assert 'Typo in PromQL' not in by_title(result)
    result = run_module('grafana_dashboard_data', dict(args, ignore_panels=['3'], required_panels=['Nope']))
    assert result['failed'] is True
    assert result['msg'].endswith('required panels not found: Nope')


def test_legacy_rows_with_all_value(stack, run_module):
    result = run_module('grafana_dashboard_data', {
        'url': stack['url'], 'path': os.path.join(FIXTURES, 'legacy-rows.json'), 'scrape_interval': '1s'})
    assert result['failed'] is False, result.get('msg')
    panels = by_title(result)
    assert list(panels) == ['Load 1m', 'Load 5m', 'Memory free']
    assert panels['Load 1m']['targets'][0]['query'] == 'node_load1{instance=~".+"}'
    assert panels['Memory free']['row'] == 'Memory'
    # 30m over 1000 points rounds to 2s; intervalFactor 2 doubles the step
    assert panels['Load 1m']['targets'][0]['step'] == 4
    assert panels['Load 5m']['targets'][0]['step'] == 2


def test_library_panels_from_file_without_grafana(stack, run_module, closed_port_url):
    result = run_module('grafana_dashboard_data', {
        'url': stack['url'], 'path': os.path.join(FIXTURES, 'library-panels.json'), 'scrape_interval': '1s',
        'grafana_url': closed_port_url})
    assert result['failed'] is False, result.get('msg')
    first, second = result['panels']
    assert (first['title'], first['status']) == ('CPU busy (library)', 'data')
    assert second['status'] == 'skipped'
    assert second['reason'] == ('library panel Memory (library) (uid lib-mem) could not be resolved: Could not reach '
                                'Grafana at %s/api/library-elements/lib-mem: connection refused' % closed_port_url)


@pytest.fixture(scope='module')
def grafana(stack):
    mem_model = {'type': 'timeseries', 'title': 'Memory (library)', 'datasource': {'type': 'prometheus', 'uid': 'prometheus'},
                 'targets': [{'refId': 'A', 'expr': 'node_memory_MemAvailable_bytes'}]}
    dashboards = {'cpm-library': (fixture('library-panels.json'), True),
                  'cpm-node-overview': (fixture('node-overview.json'), True)}
    server = standins.StandIn(standins.grafana_routes(
        dashboards, {'lib-mem': {'name': 'Memory (library)', 'model': mem_model}}, token='grafana-token'))
    yield server.url
    server.close()


def test_dashboard_by_uid_resolves_library_panels(stack, run_module, grafana):
    result = run_module('grafana_dashboard_data', {
        'url': stack['url'], 'uid': 'cpm-library', 'grafana_url': grafana, 'grafana_token': 'grafana-token',
        'scrape_interval': '1s'})
    assert result['failed'] is False, result.get('msg')
    assert [(p['title'], p['status']) for p in result['panels']] == [('CPU busy (library)', 'data'),
                                                                     ('Memory (library)', 'data')]
    assert result['panels'][1]['targets'][0]['query'] == 'node_memory_MemAvailable_bytes'


def test_dashboard_by_uid_not_found(stack, run_module, grafana):
    result = run_module('grafana_dashboard_data', {
        'url': stack['url'], 'uid': 'nope', 'grafana_url': grafana, 'grafana_token': 'grafana-token'})
    assert result['failed'] is True
    assert result['msg'] == ('Grafana at %s/api/dashboards/uid/nope answered HTTP 404 Not Found: Dashboard not found '
                             '(check url (a reverse proxy path prefix?) and the names asked for)' % grafana)


def test_sequential_and_concurrent_agree(stack, run_module):
    args = {'url': stack['url'], 'path': os.path.join(FIXTURES, 'node-overview.json'), 'time_range': '2m',
            'scrape_interval': '1s'}
    one = run_module('grafana_dashboard_data', dict(args, concurrency=1))
    many = run_module('grafana_dashboard_data', dict(args, concurrency=16))
    assert one['failed'] is many['failed'] is False
    strip = [(p['title'], p['status'], [t['query'] for t in p['targets']]) for p in one['panels']]
    assert strip == [(p['title'], p['status'], [t['query'] for t in p['targets']]) for p in many['panels']]
