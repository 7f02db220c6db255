# -*- coding: utf-8 -*-
"""Every module's error path, against a closed port and a local HTTP server
that answers 401/403/404/500/503, a body that is not JSON, or too slowly.

The expected messages are asserted word for word: one line, naming the
endpoint and the cause, never a traceback.
"""

import time

import pytest

# Each module with the first endpoint it calls and the arguments it needs.
MODULES = [
    ('prometheus_targets', 'Prometheus', '/api/v1/targets', {'jobs': [{'name': 'x'}]}),
    ('prometheus_query', 'Prometheus', '/api/v1/query', {'query': 'up'}),
    ('grafana_health', 'Grafana', '/api/health', {}),
    ('cadvisor_coverage', 'Prometheus', '/api/v1/query', {'containers': []}),
    ('grafana_dashboard_data', 'Prometheus', '/api/v1/query_range',
     {'dashboard': {'title': 'd', 'panels': [{'id': 1, 'title': 'p', 'targets': [{'refId': 'A', 'expr': 'up'}]}]}}),
]
IDS = [m[0] for m in MODULES]


def _no_traceback(result):
    assert 'Traceback' not in result['msg']
    assert 'exception' not in result
    assert '\n' not in result['msg']


@pytest.mark.parametrize('name, service, path, args', MODULES, ids=IDS)
def test_closed_port(run_module, closed_port_url, name, service, path, args):
    start = time.monotonic()
    result = run_module(name, dict(args, url=closed_port_url, timeout=2))
    assert time.monotonic() - start < 2
    assert result['failed'] is True
    assert result['msg'] == 'Could not reach %s at %s%s: connection refused' % (service, closed_port_url, path)
    _no_traceback(result)


@pytest.mark.parametrize('name, service, path, args', MODULES, ids=IDS)
def test_closed_port_is_retried_until_wait_timeout(run_module, closed_port_url, name, service, path, args):
    start = time.monotonic()
    result = run_module(name, dict(args, url=closed_port_url, wait_timeout=1.5))
    elapsed = time.monotonic() - start
    assert 1.5 <= elapsed < 4
    assert result['msg'] == 'Could not reach %s at %s%s: connection refused' % (service, closed_port_url, path)


@pytest.mark.parametrize('name, service, path, args', MODULES, ids=IDS)
@pytest.mark.parametrize('prefix, tail', [
    ('status401', ' answered HTTP 401 Unauthorized: Unauthorized (check url_username/url_password or bearer_token)'),
    ('status403', ' answered HTTP 403 Forbidden: Permissions needed: datasources:read '
                  '(the credentials lack permission for this endpoint)'),
    ('status404', ' answered HTTP 404 Not Found: 404 page not found '
                  '(check url (a reverse proxy path prefix?) and the names asked for)'),
    ('status500', ' answered HTTP 500 Internal Server Error: runtime error: invalid memory address'),
    ('status503', ' answered HTTP 503 Service Unavailable: Service Unavailable'),
    ('notjson', " answered HTTP 200 with a body that is not JSON (text/html): '<html><body>Login</body></html>'"),
])
def test_http_failures(run_module, misbehaving, name, service, path, args, prefix, tail):
    if name == 'grafana_health' and prefix == 'status503':
        # Grafana's /api/health answers 503 with JSON when its database fails;
        # a 503 without JSON is reported as a body that is not JSON.
        tail = " answered HTTP 503 with a body that is not JSON (text/plain): 'Service Unavailable'"
    base = '%s/%s' % (misbehaving, prefix)
    result = run_module(name, dict(args, url=base))
    assert result['failed'] is True
    assert result['msg'] == '%s at %s%s%s' % (service, base, path, tail)
    _no_traceback(result)


@pytest.mark.parametrize('name, service, path, args', MODULES, ids=IDS)
def test_slow_answer_times_out(run_module, misbehaving, name, service, path, args):
    base = misbehaving + '/slow'
    start = time.monotonic()
    result = run_module(name, dict(args, url=base, timeout=0.5))
    assert time.monotonic() - start < 2
    assert result['msg'] == 'Could not reach %s at %s%s: no answer within 0.5 s (timeout)' % (service, base, path)


def test_json_that_is_not_an_api_answer(run_module, misbehaving):
    base = misbehaving + '/wrongjson'
    result = run_module('prometheus_query', {'url': base, 'query': 'up'})
    assert result['msg'] == ('Prometheus at %s/api/v1/query answered HTTP 200 with JSON that is not a '
                             'Prometheus API response' % base)


def test_unreachable_docker_socket(run_module, stack, tmp_path):
    sock = 'unix://%s/nothing.sock' % tmp_path
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'docker_host': sock})
    assert result['failed'] is True
    assert result['msg'] == 'Could not reach Docker at %s/containers/json: no such socket' % sock


def test_password_is_not_in_the_result(run_module, misbehaving):
    result = run_module('prometheus_query', {'url': misbehaving + '/status401', 'query': 'up',
                                             'url_username': 'ops', 'url_password': 's3cr3t-pw'})
    assert 's3cr3t-pw' not in repr(result)


def test_basic_auth_and_token_are_exclusive(run_module):
    result = run_module('prometheus_query', {'query': 'up', 'url_username': 'a', 'url_password': 'b',
                                             'bearer_token': 'c'})
    assert result['failed'] is True
    assert 'mutually exclusive' in result['msg']
    result = run_module('prometheus_query', {'query': 'up', 'url_username': 'a'})
    assert 'parameters are required together: url_username, url_password' in result['msg']
