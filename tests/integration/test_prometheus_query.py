# -*- coding: utf-8 -*-
"""prometheus_query against the real Prometheus and node-exporter."""

import pytest


def test_query_with_data(stack, run_module):
    result = run_module('prometheus_query', {'url': stack['url'], 'query': 'up{job="node-exporter"}'})
    assert result['failed'] is False, result.get('msg')
    assert result['changed'] is False
    assert result['result_type'] == 'vector'
    assert result['series_count'] == 1
    assert result['result'][0]['metric'] == {'__name__': 'up', 'job': 'node-exporter',
                                             'instance': '127.0.0.1:%d' % stack['node_port']}
    assert result['result'][0]['value'][1] == '1'


def test_query_without_data_fails(stack, run_module):
    result = run_module('prometheus_query', {'url': stack['url'], 'query': 'up{job="no-such-job"}'})
    assert result['failed'] is True
    assert result['msg'] == ('Query up{job="no-such-job"} on Prometheus at %s: expected data, the result is '
                             'empty (no series match, or they went stale)' % stack['url'])
    assert result['series_count'] == 0


def test_expect_empty(stack, run_module):
    ok = run_module('prometheus_query', {'url': stack['url'], 'query': 'up{job="no-such-job"}', 'expect': 'empty'})
    assert ok['failed'] is False
    bad = run_module('prometheus_query', {'url': stack['url'], 'query': 'up{job="node-exporter"}',
                                          'expect': 'empty'})
    assert bad['failed'] is True
    assert 'expected no series, got 1: {__name__="up", instance="127.0.0.1:%d", job="node-exporter"} 1' \
        % stack['node_port'] in bad['msg']


@pytest.mark.parametrize('minimum, failed', [(3, False), (4, False), (50, True)])
def test_min_series(stack, run_module, minimum, failed):
    # node, victim (maybe killed by another test), prometheus, ghost and three cAdvisor jobs: at least 4 always.
    result = run_module('prometheus_query', {'url': stack['url'], 'query': 'up{job!="victim"}',
                                             'expect': 'min_series', 'min_series': minimum})
    assert result['failed'] is failed
    assert result['series_count'] == 6
    if failed:
        assert 'expected at least 50 series, got 6' in result['msg']


@pytest.mark.parametrize('bounds, failed', [
    ({'min_value': 1, 'max_value': 1}, False),
    ({'min_value': 0.5}, False),
    ({'max_value': 0.5}, True),
    ({'min_value': 2}, True),
])
def test_in_range(stack, run_module, bounds, failed):
    args = {'url': stack['url'], 'query': 'up{job="node-exporter"}', 'expect': 'in_range'}
    args.update(bounds)
    result = run_module('prometheus_query', args)
    assert result['failed'] is failed, result.get('msg')
    if failed:
        assert 'out of range: {__name__="up", instance="127.0.0.1:%d", job="node-exporter"} = 1' \
            % stack['node_port'] in result['msg']


def test_scalar_result(stack, run_module):
    result = run_module('prometheus_query', {'url': stack['url'], 'query': 'scalar(vector(42))',
                                             'expect': 'in_range', 'min_value': 42, 'max_value': 42})
    assert result['failed'] is False
    assert result['result_type'] == 'scalar'
    assert result['result'][0]['value'][1] == '42'


def test_invalid_query_gives_prometheus_error(stack, run_module):
    result = run_module('prometheus_query', {'url': stack['url'], 'query': 'sum(rate(up[5m]', 'wait_timeout': 5})
    assert result['failed'] is True
    # Rejected PromQL is not retried: the answer is immediate and names the source.
    assert result['msg'].startswith("Prometheus at %s/api/v1/query rejected the query from option 'query': "
                                    "invalid parameter \"query\": 1:16: parse error: unclosed left parenthesis; "
                                    "query: sum(rate(up[5m]" % stack['url'])
    assert result['msg'].endswith('; query: sum(rate(up[5m]')


def test_required_if(stack, run_module):
    result = run_module('prometheus_query', {'url': stack['url'], 'query': 'up', 'expect': 'min_series'})
    assert result['failed'] is True
    assert 'min_series' in result['msg']


def test_one_series_per_expected_job(stack, run_module):
    args = {'url': stack['url'], 'query': 'count by (job) (up)', 'by_label': 'job',
            'expected_values': ['prometheus', 'node-exporter']}
    result = run_module('prometheus_query', args)
    assert result['failed'] is False, result['msg']
    assert result['missing'] == []


def test_jobs_without_series_are_named(stack, run_module):
    result = run_module('prometheus_query', {
        'url': stack['url'], 'query': 'avg by (job) (up{job=~"prometheus|node-exporter"})', 'expect': 'in_range',
        'min_value': 1, 'by_label': 'job', 'expected_values': ['prometheus', 'coinpilot-core', 'node-exporter', 'x']})
    assert result['failed'] is True
    assert result['missing'] == ['coinpilot-core', 'x']
    assert result['msg'] == ('Query avg by (job) (up{job=~"prometheus|node-exporter"}) on Prometheus at %s: '
                             'no series for job="coinpilot-core", job="x"' % stack['url'])


def test_missing_is_empty_without_by_label(stack, run_module):
    result = run_module('prometheus_query', {'url': stack['url'], 'query': 'up'})
    assert result['failed'] is False
    assert result['missing'] == []


def test_report_row_describes_each_series(stack, run_module):
    result = run_module('prometheus_query', {
        'url': stack['url'], 'query': 'count by (job) (up{job=~"prometheus|node-exporter"})',
        'by_label': 'job', 'expected_values': ['prometheus', 'node-exporter'],
        'report_check': 'jobs counted', 'report_detail': '{job} has {value} ({nolabel})'})
    assert result['failed'] is False, result['msg']
    assert result['row']['check'] == 'jobs counted'
    assert result['row']['ok'] is True
    assert sorted(result['row']['detail'].split(', ')) == ['node-exporter has 1 ()', 'prometheus has 1 ()']


def test_report_row_of_a_failure_ends_with_the_message(stack, run_module):
    result = run_module('prometheus_query', {
        'url': stack['url'], 'query': 'count by (job) (up{job="prometheus"})', 'by_label': 'job',
        'expected_values': ['prometheus', 'x'], 'report_check': 'jobs', 'report_detail': '{job}: {value}'})
    assert result['failed'] is True
    assert result['row'] == {'check': 'jobs', 'ok': False, 'detail': 'prometheus: 1; ' + result['msg']}
    assert result['msg'].endswith('no series for job="x"')


def test_report_row_when_prometheus_does_not_answer(closed_port_url, run_module):
    result = run_module('prometheus_query', {'url': closed_port_url, 'query': 'up', 'report_check': 'up'})
    assert result['failed'] is True
    assert result['row'] == {'check': 'up', 'ok': False, 'detail': result['msg']}
    assert 'connection refused' in result['msg']


def test_report_detail_needs_report_check(stack, run_module):
    result = run_module('prometheus_query', {'url': stack['url'], 'query': 'up', 'report_detail': '{job}'})
    assert result['failed'] is True
    assert result['msg'] == 'missing parameter(s) required by \'report_detail\': report_check'
    assert 'row' not in result
