# -*- coding: utf-8 -*-
"""A battery of inputs an operator gets wrong, and of servers that misbehave,
against every verification module.

One row is one case: the module, its arguments, how the server on loopback
behaves (the route of the misbehaving stand-in), and the exact one-line
message. Every row must fail with that message, on one line, without a
traceback and without a secret anywhere in the result; the rows that test
a bound must also return within it, without the memory growing with what
the server sends.

Placeholders in arguments and messages: {B} the misbehaving server, {S} the
same address with https, {C} a closed port, {D} the Docker socket of the
case.
"""

import base64
import json
import os
import resource
import tempfile
import time

import pytest

import standins

SECRETS = ['s3cr3t-pw', base64.b64encode(b'ops:s3cr3t-pw').decode('ascii'), 'glsa_TOKENVALUE123']
MIB = 1024 * 1024
DASHBOARD = {'title': 'd', 'panels': [{'id': 1, 'title': 'p', 'targets': [{'refId': 'A', 'expr': 'up'}]}]}
TARGETS = ('prometheus_targets', {'jobs': ['prometheus']})
QUERY = ('prometheus_query', {'query': 'up'})
HEALTH = ('grafana_health', {})
DASH = ('grafana_dashboard_data', {'dashboard': DASHBOARD})
CADVISOR = ('cadvisor_coverage', {'containers': []})
TOO_LARGE = ' answered more than %d bytes (max_response_bytes); ask for less, or raise max_response_bytes'
OPTION_URL = 'Option url must be an http:// or https:// URL with a host, got '

# (id, (module, base args), extra args, Docker socket behaviour, message, time bound in s)
ROWS = [
    # -- bounded I/O -------------------------------------------------------------------
    ('endless-body-capped', QUERY, {'url': '{B}/endless', 'max_response_bytes': MIB}, None,
     'Prometheus at {B}/endless/api/v1/query' + TOO_LARGE % MIB, 5),
    ('endless-body-default-cap', QUERY, {'url': '{B}/endless'}, None,
     'Prometheus at {B}/endless/api/v1/query' + TOO_LARGE % (32 * MIB), 10),
    ('endless-body-grafana', HEALTH, {'url': '{B}/endless', 'max_response_bytes': MIB}, None,
     'Grafana at {B}/endless/api/health' + TOO_LARGE % MIB, 5),
    ('endless-body-dashboard', DASH, {'url': '{B}/endless', 'max_response_bytes': MIB}, None,
     'Prometheus at {B}/endless/api/v1/query_range' + TOO_LARGE % MIB, 5),
    ('declared-10-GiB', TARGETS, {'url': '{B}/huge'}, None,
     'Prometheus at {B}/huge/api/v1/targets' + TOO_LARGE % (32 * MIB), 2),
    ('dripping-body', QUERY, {'url': '{B}/drip', 'timeout': 3}, None,
     'Prometheus at {B}/drip/api/v1/query did not finish its answer within 3 s (timeout)', 5),
    ('dripping-body-dashboard', DASH, {'url': '{B}/drip', 'timeout': 2}, None,
     'Prometheus at {B}/drip/api/v1/query_range did not finish its answer within 2 s (timeout)', 4),
    ('dripping-body-grafana', HEALTH, {'url': '{B}/drip', 'timeout': 2}, None,
     'Grafana at {B}/drip/api/health did not finish its answer within 2 s (timeout)', 4),
    ('dripping-headers', TARGETS, {'url': '{B}/dripheaders', 'timeout': 1.5}, None,
     'Could not reach Prometheus at {B}/dripheaders/api/v1/targets: no answer within 1.5 s (timeout)', 3.5),
    ('slow-headers', CADVISOR, {'url': '{B}/slow', 'timeout': 1}, None,
     'Could not reach Prometheus at {B}/slow/api/v1/query: no answer within 1 s (timeout)', 3),
    ('docker-endless', ('cadvisor_coverage', {}), {'docker_host': '{D}', 'max_response_bytes': MIB}, 'endless',
     'Docker at {D}/containers/json' + TOO_LARGE % MIB, 5),
    ('docker-dripping', ('cadvisor_coverage', {}), {'docker_host': '{D}', 'timeout': 2}, 'drip',
     'Docker at {D}/containers/json did not finish its answer within 2 s (timeout)', 4),
    ('docker-dripping-headers', ('cadvisor_coverage', {}), {'docker_host': '{D}', 'timeout': 1.5}, 'dripheaders',
     'Could not reach Docker at {D}/containers/json: no answer within 1.5 s (timeout)', 3.5),
    # -- answers of the wrong shape -------------------------------------------------------
    ('list-for-object-prometheus', QUERY, {'url': '{B}/wrongjson'}, None,
     'Prometheus at {B}/wrongjson/api/v1/query answered HTTP 200 with JSON that is not a Prometheus API response',
     None),
    ('list-for-object-grafana', HEALTH, {'url': '{B}/list'}, None,
     'Grafana at {B}/list/api/health answered a body that is not an object (["not", "an", "object"])', None),
    ('result-oops', QUERY, {'url': '{B}/oops'}, None,
     'Prometheus at {B}/oops/api/v1/query answered a result that is not a list ("oops")', None),
    ('result-oops-cadvisor', CADVISOR, {'url': '{B}/oops'}, None,
     'Prometheus at {B}/oops/api/v1/query answered a result that is not a list ("oops")', None),
    ('result-oops-dashboard', DASH, {'url': '{B}/oops'}, None,
     'Prometheus at {B}/oops/api/v1/query_range answered a result that is not a list ("oops")', None),
    ('data-missing', QUERY, {'url': '{B}/nodata'}, None,
     'Prometheus at {B}/nodata/api/v1/query answered "success" without data', None),
    ('data-a-list', QUERY, {'url': '{B}/listdata'}, None,
     'Prometheus at {B}/listdata/api/v1/query answered data that is not an object ([1, 2])', None),
    ('status-neither', TARGETS, {'url': '{B}/okstatus'}, None,
     'Prometheus at {B}/okstatus/api/v1/targets answered a status that is not "success" or "error" ("ok")', None),
    ('unknown-result-type', QUERY, {'url': '{B}/table'}, None,
     'Prometheus at {B}/table/api/v1/query answered a resultType that is not vector, matrix, scalar or string '
     '("table")', None),
    ('sample-not-a-pair', QUERY, {'url': '{B}/badsample'}, None,
     'Prometheus at {B}/badsample/api/v1/query answered a sample that is not [time, value] ("1")', None),
    ('metric-not-an-object', QUERY, {'url': '{B}/badmetric'}, None,
     'Prometheus at {B}/badmetric/api/v1/query answered a metric that is not an object ("up")', None),
    ('scalar-for-vector', CADVISOR, {'url': '{B}/scalar'}, None,
     'Prometheus at {B}/scalar/api/v1/query answered a scalar result where the query asks for a vector', None),
    ('targets-not-a-list', TARGETS, {'url': '{B}/targetsnotlist'}, None,
     'Prometheus at {B}/targetsnotlist/api/v1/targets answered activeTargets that is not a list ("x")', None),
    ('target-not-an-object', TARGETS, {'url': '{B}/targetnotobject'}, None,
     'Prometheus at {B}/targetnotobject/api/v1/targets answered a target that is not an object (5)', None),
    ('dashboard-model-a-list', ('grafana_dashboard_data', {'uid': 'x'}), {'grafana_url': '{B}/dashlist'}, None,
     'Grafana at {B}/dashlist/api/dashboards/uid/x answered a dashboard model that is not an object ([])', None),
    ('docker-object-for-list', ('cadvisor_coverage', {}), {'docker_host': '{D}'}, 'object',
     'Docker at {D}/containers/json answered JSON that is not a list ({"message": "page not found"})', None),
    ('500-with-html', QUERY, {'url': '{B}/html500'}, None,
     'Prometheus at {B}/html500/api/v1/query answered HTTP 500 Internal Server Error: 500 Internal Server Error',
     None),
    ('redirect', QUERY, {'url': '{B}/redirect'}, None,
     'Prometheus at {B}/redirect/api/v1/query answered HTTP 302 Found, a redirect to '
     'http://ops:********@elsewhere.invalid/api/v1/query; set url to the address it points to', None),
    ('https-to-plain-port', QUERY, {'url': '{S}'}, None,
     'Could not reach Prometheus at {S}/api/v1/query: it answered plain HTTP on an https URL; use http://', None),
    ('https-to-plain-port-grafana', HEALTH, {'url': '{S}'}, None,
     'Could not reach Grafana at {S}/api/health: it answered plain HTTP on an https URL; use http://', None),
    # -- credentials ----------------------------------------------------------------------
    ('password-in-url-refused', QUERY, {'url': '{C}', 'url_userinfo': 'ops:s3cr3t-pw'}, None,
     'Could not reach Prometheus at {C}/api/v1/query: connection refused', None),
    ('password-in-url-echoed', QUERY, {'url': '{B}/echo401', 'url_userinfo': 'ops:s3cr3t-pw'}, None,
     'Prometheus at {B}/echo401/api/v1/query answered HTTP 401 Unauthorized: Unauthorized: rejected ops:******** '
     '(Authorization: ********) (check url_username/url_password or bearer_token)', None),
    ('password-option-echoed', TARGETS, {'url': '{B}/echo401', 'url_username': 'ops', 'url_password': 's3cr3t-pw'},
     None, 'Prometheus at {B}/echo401/api/v1/targets answered HTTP 401 Unauthorized: Unauthorized: rejected '
     'ops:******** (Authorization: ********) (check url_username/url_password or bearer_token)', None),
    ('token-echoed', HEALTH, {'url': '{B}/echo401', 'bearer_token': 'glsa_TOKENVALUE123'}, None,
     'Grafana at {B}/echo401/api/health answered HTTP 401 Unauthorized: Unauthorized: rejected (Authorization: '
     '********) (check url_username/url_password or bearer_token)', None),
    ('grafana-password-in-url', ('grafana_dashboard_data', {'uid': 'x'}),
     {'grafana_url': '{B}/echo401', 'grafana_url_userinfo': 'ops:s3cr3t-pw'}, None,
     'Grafana at {B}/echo401/api/dashboards/uid/x answered HTTP 401 Unauthorized: Unauthorized: rejected '
     'ops:******** (Authorization: ********) (check url_username/url_password or bearer_token)', None),
    ('password-in-bad-url', QUERY, {'url': 'http://ops:s3cr3t-pw@'}, None,
     OPTION_URL + '"http://ops:********@"', None),
    # -- option values --------------------------------------------------------------------
    ('timeout-zero', QUERY, {'timeout': 0}, None, 'Option timeout must be more than 0, got 0', None),
    ('timeout-negative', TARGETS, {'timeout': -1}, None, 'Option timeout must be more than 0, got -1', None),
    ('wait-timeout-negative', HEALTH, {'wait_timeout': -5}, None,
     'Option wait_timeout must be at least 0, got -5', None),
    ('max-response-bytes-zero', CADVISOR, {'max_response_bytes': 0}, None,
     'Option max_response_bytes must be at least 1, got 0', None),
    ('url-without-scheme', QUERY, {'url': '127.0.0.1:9090'}, None, OPTION_URL + '"127.0.0.1:9090"', None),
    ('url-without-host', HEALTH, {'url': 'http://'}, None, OPTION_URL + '"http://"', None),
    ('url-bad-port', TARGETS, {'url': 'http://127.0.0.1:90x0'}, None, OPTION_URL + '"http://127.0.0.1:90x0"', None),
    ('grafana-url-ftp', DASH, {'grafana_url': 'ftp://grafana'}, None,
     'Option grafana_url must be an http:// or https:// URL with a host, got "ftp://grafana"', None),
    ('concurrency-zero', DASH, {'concurrency': 0}, None, 'Option concurrency must be at least 1, got 0', None),
    ('max-data-points-zero', DASH, {'max_data_points': 0}, None,
     'Option max_data_points must be at least 1, got 0', None),
    ('variables-dict', DASH, {'variables': {'instance': {'a': 'b'}}}, None,
     'Option variables.instance must be a string or a list of strings, got {"a": "b"}', None),
    ('variables-nested-list', DASH, {'variables': {'instance': ['a', ['b']]}}, None,
     'Option variables.instance must be a string or a list of strings, got ["a", ["b"]]', None),
    ('scrape-interval-text', DASH, {'scrape_interval': 'fast'}, None,
     'Option scrape_interval must be a duration longer than 0, such as 15s, 5m or 1h, got "fast"', None),
    ('time-range-zero', DASH, {'time_range': '0s'}, None,
     'Option time_range must be a duration longer than 0, such as 15s, 5m or 1h, got "0s"', None),
    ('min-above-max', ('prometheus_query', {'query': 'up', 'expect': 'in_range'}), {'min_value': 5, 'max_value': 1},
     None, 'Option min_value must be at most max_value (1), got 5', None),
    ('min-series-zero', ('prometheus_query', {'query': 'up', 'expect': 'min_series'}), {'min_series': 0}, None,
     'Option min_series must be at least 1, got 0', None),
    ('by-label-with-empty', ('prometheus_query', {'query': 'up', 'expect': 'empty'}),
     {'by_label': 'job', 'expected_values': ['a']}, None,
     'Option expect must be other than empty with by_label, got "empty"', None),
    ('by-label-not-a-label', QUERY, {'by_label': 'job name', 'expected_values': ['a']}, None,
     'Option by_label must be a Prometheus label name, got "job name"', None),
    ('by-label-alone', QUERY, {'by_label': 'job'}, None,
     'parameters are required together: by_label, expected_values', None),
    ('jobs-element-number', ('prometheus_targets', {}), {'jobs': [5]}, None,
     'Option jobs[0] must be a job name or a dict with name and min_healthy, got 5', None),
    ('jobs-misspelt-key', ('prometheus_targets', {}), {'jobs': ['a', {'name': 'x', 'minhealthy': 2}]}, None,
     'Option jobs[1] must be a dict with only the keys name and min_healthy, got {"minhealthy": 2, "name": "x"}',
     None),
    ('jobs-without-name', ('prometheus_targets', {}), {'jobs': [{'min_healthy': 1}]}, None,
     'Option jobs[0].name must be a job name, got null', None),
    ('jobs-negative-min', ('prometheus_targets', {}), {'jobs': [{'name': 'a', 'min_healthy': -1}]}, None,
     'Option jobs[0].min_healthy must be at least 0, got -1', None),
    ('jobs-min-text', ('prometheus_targets', {}), {'jobs': [{'name': 'a', 'min_healthy': 'two'}]}, None,
     'Option jobs[0].min_healthy must be a whole number, got "two"', None),
    ('jobs-twice', ('prometheus_targets', {}), {'jobs': ['a', {'name': 'a'}]}, None,
     'Option jobs[1].name must be a job not listed before, got "a"', None),
    ('datasource-empty', ('grafana_health', {'datasources': ['prometheus', '']}), {}, None,
     'Option datasources[1] must be a datasource uid, got ""', None),
    ('docker-host-ssh', ('cadvisor_coverage', {}), {'docker_host': 'ssh://host'}, None,
     'Option docker_host must be unix:///path/to/docker.sock or tcp://host:port, got "ssh://host"', None),
    ('metric-with-braces', CADVISOR, {'metric': 'up{job="x"}'}, None,
     'Option metric must be a Prometheus metric name, got "up{job=\\"x\\"}"', None),
]

DOCKER_BEHAVIOURS = {
    'endless': standins.endless,
    'drip': standins.drip,
    'dripheaders': standins.drip_headers,
    'object': lambda handler, rest: (200, 'application/json', {'message': 'page not found'}),
}


@pytest.fixture(scope='module')
def docker_sockets():
    directory = tempfile.mkdtemp(prefix='cpm-docker-')
    sockets = {name: standins.DockerSocket(os.path.join(directory, name + '.sock'), None, answer)
               for name, answer in DOCKER_BEHAVIOURS.items()}
    yield {name: sock.url for name, sock in sockets.items()}
    for sock in sockets.values():
        sock.close()
    os.rmdir(directory)


def _fill(value, places):
    if isinstance(value, str):
        for key, text in places.items():
            value = value.replace('{%s}' % key, text)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, places) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, places) for v in value]
    return value


def _with_userinfo(args):
    """``url_userinfo: user:password`` writes the credentials into the URL (``grafana_url_userinfo`` into grafana_url)."""
    for option in ('url', 'grafana_url'):
        userinfo = args.pop(option + '_userinfo', None)
        if userinfo:
            args[option] = args[option].replace('://', '://%s@' % userinfo, 1)
    return args


def _peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.mark.parametrize('module, base, extra, docker, message, bound',
                         [row[1] + row[2:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_bad_input_is_one_clear_line(run_module, misbehaving, closed_port_url, docker_sockets,
                                     module, base, extra, docker, message, bound):
    places = {'B': misbehaving, 'S': misbehaving.replace('http://', 'https://'), 'C': closed_port_url}
    if docker:
        places['D'] = docker_sockets[docker]
    args = _with_userinfo(_fill(dict(base, **extra), places))
    rss = _peak_rss_bytes()
    start = time.monotonic()
    result = run_module(module, args)
    elapsed = time.monotonic() - start

    assert result['failed'] is True
    assert result['msg'] == _fill(message, places)
    assert '\n' not in result['msg']
    dumped = json.dumps(result)
    assert 'Traceback' not in dumped
    assert 'Unexpected error' not in result['msg']
    for secret in SECRETS:
        assert secret not in dumped
    if bound is not None:
        assert elapsed < bound
        # The cap is 32 MiB at most; what the server sent is far more.
        assert _peak_rss_bytes() - rss < 256 * MIB


def test_battery_is_large_enough():
    assert len(ROWS) >= 30
    assert len({row[0] for row in ROWS}) == len(ROWS)
