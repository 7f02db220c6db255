# -*- coding: utf-8 -*-
"""The client's pure helpers: redaction, shape checks, and the size cap and
deadline of a body read, with fake chunks and a fake clock."""

import base64
import socket
import ssl
import time

import pytest

from ansible_collections.coinpilot.monitoring.plugins.module_utils import _http
from ansible_collections.coinpilot.monitoring.plugins.module_utils import _prometheus as prom

M = _http.MASK


@pytest.mark.parametrize('text, secrets, expected', [
    ('Could not reach http://ops:s3cr3t@host:9090/x', (), 'Could not reach http://ops:%s@host:9090/x' % M),
    ('at https://tok3n@host/', (), 'at https://%s@host/' % M),
    ('http://host/path?a=b@c', (), 'http://host/path?a=b@c'),
    ('Authorization: Bearer abc.def-ghi', (), 'Authorization: %s' % M),
    ('{"Authorization": "Basic b3BzOnB3"}', (), '{"Authorization": "%s"}' % M),
    ('(Authorization: Basic b3BzOnB3) next', (), '(Authorization: %s) next' % M),
    ('token Bearer eyJhbGciOiJIUzI1 was sent', (), 'token Bearer %s was sent' % M),
    ('use basic authentication', (), 'use basic authentication'),
    ('wrong password hunter2-long for ops', ('hunter2-long',), 'wrong password %s for ops' % M),
    ('xxhunter2-longxx', ('hunter2-long',), 'xx%sxx' % M),
    ('mutually exclusive: url_username|bearer_token', ('b', 'c'), 'mutually exclusive: url_username|bearer_token'),
    ('password "b" rejected', ('b',), 'password "%s" rejected' % M),
    ('secret secretive', ('secret', 'secretive'), '%s %s' % (M, M)),
    ('no secrets here', ('', None), 'no secrets here'),
])
def test_redact(text, secrets, expected):
    assert _http.redact(text, secrets) == expected


def test_redact_all_walks_results():
    result = {'msg': 'pw1234567', 'nested': [{'url': 'http://a:b@h'}, 5, None], 'pw1234567': True}
    assert _http.redact_all(result, ['pw1234567']) == {
        'msg': M, 'nested': [{'url': 'http://a:%s@h' % M}, 5, None], M: True}


@pytest.mark.parametrize('url, creds', [
    ('http://ops:pw@host', ('ops', 'pw')),
    ('http://ops:p%40ss@host', ('ops', 'p@ss')),
    ('http://token@host', ('token', '')),
    ('http://host', (None, None)),
    ('http://[::1', (None, None)),
])
def test_url_credentials(url, creds):
    assert _http.url_credentials(url) == creds


def test_credential_forms_include_the_basic_header():
    assert _http.credential_forms('ops', 'pw') == ['pw', base64.b64encode(b'ops:pw').decode()]
    assert _http.credential_forms('ops', '') == []


def test_client_takes_credentials_out_of_the_url():
    client = _http.HttpClient('http://ops:s3cr3t@127.0.0.1:9090/', service='Prometheus')
    assert client.base_url == 'http://127.0.0.1:9090'
    assert client.session.auth == ('ops', 's3cr3t')
    explicit = _http.HttpClient('http://ops:s3cr3t@127.0.0.1:9090', username='me', password='x')
    assert explicit.session.auth == ('me', 'x')


WHERE = 'Prometheus at http://h/api/v1/query'


@pytest.mark.parametrize('value, kind, message', [
    ('oops', list, 'answered a result that is not a list ("oops")'),
    ([1], dict, 'answered a result that is not an object ([1])'),
    (None, str, 'answered a result that is not a string (null)'),
    ('x' * 100, list, 'answered a result that is not a list ("%s...)' % ('x' * 59)),
])
def test_check_type(value, kind, message):
    with pytest.raises(_http.ApiError) as err:
        _http.check_type(value, kind, WHERE, 'a result')
    assert err.value.message == '%s %s' % (WHERE, message)


def _vector(*series):
    return {'resultType': 'vector', 'result': list(series)}


@pytest.mark.parametrize('data, message', [
    ([], 'answered data that is not an object ([])'),
    ({'resultType': 'vector'}, 'answered a result that is not a list (null)'),
    ({'result': []}, 'answered a resultType that is not vector, matrix, scalar or string (null)'),
    (_vector('up'), 'answered a series that is not an object ("up")'),
    (_vector({'metric': [], 'value': [1, '1']}), 'answered a metric that is not an object ([])'),
    (_vector({'metric': {}, 'value': [1]}), 'answered a sample that is not [time, value] ([1])'),
    (_vector({'metric': {}, 'value': ['1', '1']}), 'answered a sample that is not [time, value] (["1", "1"])'),
    (_vector({'metric': {}, 'value': [True, '1']}), 'answered a sample that is not [time, value] ([true, "1"])'),
    ({'resultType': 'scalar', 'result': '4'}, 'answered a sample that is not [time, value] ("4")'),
    ({'resultType': 'matrix', 'result': [{'metric': {}, 'values': 'x'}]},
     'answered series values that is not a list ("x")'),
    ({'resultType': 'matrix', 'result': [{'metric': {}, 'values': [[1, '1'], 2]}]},
     'answered a sample that is not [time, value] (2)'),
])
def test_query_shapes_refused(data, message):
    with pytest.raises(_http.ApiError) as err:
        prom.check_query_data(data, WHERE)
    assert err.value.message == '%s %s' % (WHERE, message)


@pytest.mark.parametrize('data', [
    _vector(),
    _vector({'metric': {'job': 'a'}, 'value': [1.5, '1']}),
    _vector({'metric': {}, 'histogram': [1, {'count': '2'}]}),
    {'resultType': 'matrix', 'result': [{'metric': {}, 'values': [[1, '1'], [2, '2']]}]},
    {'resultType': 'matrix', 'result': [{'metric': {}, 'histograms': [[1, {}]]}]},
    {'resultType': 'scalar', 'result': [1, '4']},
    {'resultType': 'string', 'result': [1, 'text']},
])
def test_query_shapes_accepted(data):
    assert prom.check_query_data(data, WHERE) is data


@pytest.mark.parametrize('data, message', [
    ({'activeTargets': {}}, 'answered activeTargets that is not a list ({})'),
    ({'activeTargets': ['t']}, 'answered a target that is not an object ("t")'),
    ({'activeTargets': [{'labels': 'job=a'}]}, 'answered target labels that is not an object ("job=a")'),
])
def test_target_shapes_refused(data, message):
    with pytest.raises(_http.ApiError) as err:
        prom.check_targets_data(data, WHERE)
    assert err.value.message == '%s %s' % (WHERE, message)


class FakeClock:
    def __init__(self, step):
        self.now = 0.0
        self.step = step

    def __call__(self):
        self.now += self.step
        return self.now


def test_read_bounded_joins_chunks():
    assert _http.read_bounded(iter([b'ab', b'cd']), 10, 100, FakeClock(1)) == b'abcd'


def test_read_bounded_stops_at_the_cap_without_reading_on():
    read = []

    def endless():
        while True:
            read.append(1)
            yield b'x' * 1024
    with pytest.raises(_http.ResponseTooLarge):
        _http.read_bounded(endless(), 4096, 100, FakeClock(0))
    assert len(read) == 5


def test_read_bounded_truncates_error_pages():
    assert _http.read_bounded(iter([b'abc', b'def']), 4, 100, FakeClock(0), truncate=True) == b'abcd'


def test_read_bounded_stops_at_the_deadline():
    # Each chunk takes 2 s on the fake clock: the third one passes the 5 s deadline.
    chunks = iter([b'a'] * 10)
    with pytest.raises(_http.DeadlinePassed):
        _http.read_bounded(chunks, 100, 5, FakeClock(2))
    assert len(list(chunks)) == 7


def test_watchdog_cuts_a_blocked_read_at_the_deadline():
    left, right = socket.socketpair()
    try:
        start = time.monotonic()
        with _http.Watchdog(start + 0.3) as dog:
            dog.watch(left)
            assert left.recv(10) == b''  # shut down under the read, which then sees the end
        assert dog.fired and dog.expired()
        assert 0.25 < time.monotonic() - start < 2
    finally:
        left.close()
        right.close()


def test_watchdog_is_cancelled_when_the_request_ends():
    left, right = socket.socketpair()
    try:
        with _http.Watchdog(time.monotonic() + 0.2) as dog:
            dog.watch(left)
        time.sleep(0.4)
        right.sendall(b'ok')
        assert left.recv(10) == b'ok'
        assert not dog.fired
    finally:
        left.close()
        right.close()


def _ssl_error(reason):
    err = ssl.SSLError(1, '[SSL: %s] %s' % (reason, reason.lower().replace('_', ' ')))
    err.reason = reason
    try:
        raise RuntimeError('Max retries exceeded') from err
    except RuntimeError as outer:
        return outer


def _verify_error():
    err = ssl.SSLCertVerificationError(1, 'certificate verify failed')
    err.verify_message = 'self-signed certificate'
    return err


@pytest.mark.parametrize('exc, words, hint', [
    (_ssl_error('WRONG_VERSION_NUMBER'), 'it answered plain HTTP on an https URL', 'use http://'),
    (_ssl_error('RECORD_LAYER_FAILURE'), 'it answered plain HTTP on an https URL', 'use http://'),
    (_verify_error(), 'TLS verification failed (self-signed certificate)', 'set ca_path, or validate_certs=false'),
    (_ssl_error('UNEXPECTED_EOF_WHILE_READING'),
     'TLS handshake failed (Max retries exceeded)', None),
])
def test_describe_tls_error(exc, words, hint):
    assert _http.describe_tls_error(exc) == (words, hint)


@pytest.mark.parametrize('text, expected', [
    ('<html><head><title>502 Bad Gateway</title></head><body>x</body></html>', '502 Bad Gateway'),
    ('<html><style>p {}</style><body><h1>Oops &amp; more</h1></body></html>', 'Oops & more'),
])
def test_html_text(text, expected):
    assert _http.html_text(text) == expected


@pytest.mark.parametrize('params, message', [
    ({'url': 'localhost:9090'}, 'Option url must be an http:// or https:// URL with a host, got "localhost:9090"'),
    ({'url': 'http://h', 'timeout': 0.0}, 'Option timeout must be more than 0, got 0'),
    ({'url': 'http://h', 'timeout': 1, 'wait_timeout': -0.5}, 'Option wait_timeout must be at least 0, got -0.5'),
    ({'url': 'http://h', 'max_response_bytes': 0}, 'Option max_response_bytes must be at least 1, got 0'),
])
def test_validate_connection(params, message):
    with pytest.raises(_http.OptionError) as err:
        _http.validate_connection(params)
    assert err.value.message == message
