# -*- coding: utf-8 -*-
"""prometheus_targets against the real Prometheus and node-exporters."""

import time


def test_expected_jobs_are_up(stack, run_module):
    result = run_module('prometheus_targets', {
        'url': stack['url'],
        'jobs': [{'name': 'prometheus'}, {'name': 'node-exporter', 'min_healthy': 1}],
        'check_reload': True,
        'report_check': 'targets up',
    })
    assert result['failed'] is False, result['msg']
    assert result['changed'] is False
    row = result['row']
    assert (row['check'], row['ok']) == ('targets up', True)
    # Every job Prometheus scrapes, the expected ones among them, with its targets up of all.
    parts = row['detail'].split(', ')
    assert {'node-exporter 1/1', 'prometheus 1/1'} <= set(parts)
    assert sorted(parts) == sorted('%s %d/%d' % (name, job['up'], job['total']) for name, job in result['jobs'].items())
    assert result['problems'] == []
    assert result['config_reload_successful'] is True
    node = [t for t in result['targets'] if t['job'] == 'node-exporter']
    assert len(node) == 1
    assert node[0]['instance'] == '127.0.0.1:%d' % stack['node_port']
    assert node[0]['health'] == 'up'
    assert node[0]['last_error'] == ''
    assert isinstance(node[0]['scrape_duration'], float)
    assert node[0]['last_scrape'].startswith('20')
    assert result['jobs']['node-exporter'] == {'up': 1, 'down': 0, 'unknown': 0, 'total': 1, 'min_healthy': 1}


def test_same_result_in_check_mode(stack, run_module):
    args = {'url': stack['url'], 'jobs': [{'name': 'node-exporter'}]}
    normal = run_module('prometheus_targets', args)
    checked = run_module('prometheus_targets', args, check_mode=True)
    assert normal['failed'] is checked['failed'] is False
    assert normal['changed'] is checked['changed'] is False
    assert [(t['job'], t['instance']) for t in normal['targets']] == \
        [(t['job'], t['instance']) for t in checked['targets']]


def test_missing_job_fails_and_names_it(stack, run_module):
    result = run_module('prometheus_targets', {
        'url': stack['url'], 'jobs': [{'name': 'node-exporter'}, {'name': 'coinpilot-core'}],
        'report_check': 'targets up'})
    assert result['failed'] is True
    assert result['msg'] == ('Prometheus at %s: job coinpilot-core: no targets (is it in the scrape '
                             'configuration, and did the reload succeed?)' % stack['url'])
    # A failure's row says why, in the message's words.
    assert result['row'] == {'check': 'targets up', 'ok': False, 'detail': result['msg']}
    assert result['jobs']['node-exporter']['up'] == 1


def test_too_few_healthy_targets(stack, run_module):
    result = run_module('prometheus_targets', {'url': stack['url'],
                                               'jobs': [{'name': 'node-exporter', 'min_healthy': 2}]})
    assert result['failed'] is True
    assert 'job node-exporter: 1 of 1 targets up, 2 required' in result['msg']


def test_down_target_lists_last_error(stack, run_module):
    result = run_module('prometheus_targets', {'url': stack['url'], 'jobs': [{'name': 'ghost'}]})
    assert result['failed'] is True
    ghost = '127.0.0.1:%d' % stack['ghost_port']
    assert 'job ghost: 0 of 1 targets up, 1 required; %s is down: ' % ghost in result['msg']
    assert 'connection refused' in result['msg']
    assert [t['health'] for t in result['targets'] if t['job'] == 'ghost'] == ['down']


def test_fail_on_down_covers_unexpected_jobs(stack, run_module):
    result = run_module('prometheus_targets', {'url': stack['url'], 'jobs': [{'name': 'node-exporter'}],
                                               'fail_on_down': True})
    assert result['failed'] is True
    assert 'job ghost: 127.0.0.1:%d is down' % stack['ghost_port'] in result['msg']
    assert 'job node-exporter' not in result['msg']


def test_target_goes_down_after_its_exporter_is_killed(stack, run_module):
    args = {'url': stack['url'], 'jobs': [{'name': 'victim'}]}
    before = run_module('prometheus_targets', args)
    assert before['failed'] is False, before['msg']
    stack['containers'].kill(stack['victim']['id'])
    # Prometheus notices at the next scrape (1 s); poll the module's own way.
    deadline = time.time() + 20
    while True:
        after = run_module('prometheus_targets', args)
        if after['failed'] or time.time() > deadline:
            break
        time.sleep(0.5)
    assert after['failed'] is True
    assert 'job victim: 0 of 1 targets up, 1 required; 127.0.0.1:%d is down: ' % stack['victim_port'] \
        in after['msg']
    assert 'connection refused' in after['msg']


def test_wait_timeout_polls_then_reports(stack, run_module):
    start = time.monotonic()
    result = run_module('prometheus_targets', {'url': stack['url'], 'jobs': [{'name': 'nope'}],
                                               'wait_timeout': 2})
    elapsed = time.monotonic() - start
    assert result['failed'] is True
    assert 2 <= elapsed < 6
    assert 'job nope: no targets' in result['msg']


def test_job_names_as_shorthand(stack, run_module):
    short = run_module('prometheus_targets', {'url': stack['url'], 'jobs': ['prometheus', 'node-exporter']})
    long = run_module('prometheus_targets', {'url': stack['url'],
                                             'jobs': [{'name': 'prometheus'}, {'name': 'node-exporter'}]})
    assert short['failed'] is long['failed'] is False
    assert short['jobs'] == long['jobs']
    assert short['jobs']['prometheus']['min_healthy'] == 1


def test_shorthand_and_dicts_mixed(stack, run_module):
    result = run_module('prometheus_targets', {'url': stack['url'],
                                               'jobs': ['prometheus', {'name': 'ghost', 'min_healthy': 1}]})
    assert result['failed'] is True
    assert result['jobs']['prometheus']['up'] == 1
    assert result['problems'][0].startswith('job ghost: 0 of 1 targets up, 1 required; 127.0.0.1:%d is '
                                            % stack['ghost_port'])
