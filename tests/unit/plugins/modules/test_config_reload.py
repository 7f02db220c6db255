# -*- coding: utf-8 -*-
"""config_reload, run in-process against a stand-in that keeps a service's
reload metrics as Prometheus and Alertmanager do: a successful POST /-/reload
sets both, a refused one answers 500 with the reason and sets successful to 0."""

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Service(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _answer(self, status, body):
        data = body.encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'text/plain; version=0.0.4')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        state = self.server.state
        prefix = state['service']
        self._answer(200, '# HELP x\n%s_config_last_reload_successful %d\n'
                          '%s_config_last_reload_success_timestamp_seconds %.9e\n'
                     % (prefix, state['successful'], prefix, state['loaded_at']))

    def do_POST(self):
        state = self.server.state
        state['posts'] += 1
        if state['refuse']:
            state['successful'] = 0
            self._answer(500, 'failed to reload config: parsing YAML file prometheus.yml: bad\n')
            return
        state['successful'] = 1
        state['loaded_at'] = time.time()
        self._answer(200, '')


@pytest.fixture(name='service', params=['prometheus', 'alertmanager'])
def service_fixture(request):
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Service)
    server.daemon_threads = True
    # Loaded half a minute ago, so a file written "since" is still in the past.
    server.state = {'service': request.param, 'successful': 1, 'loaded_at': time.time() - 30, 'posts': 0,
                    'refuse': False}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _args(service, files, **extra):
    args = {'url': 'http://127.0.0.1:%d' % service.server_address[1], 'service': service.state['service'],
            'files': [str(f) for f in files]}
    args.update(extra)
    return args


def _touch(path, when):
    path.write_text('x')
    os.utime(str(path), (when, when))


def test_a_file_newer_than_the_last_load_reloads_once(tmp_path, service, run_module):
    _touch(tmp_path / 'a.yml', service.state['loaded_at'] - 60)
    _touch(tmp_path / 'b.yml', service.state['loaded_at'] + 5)
    files = [tmp_path / 'a.yml', tmp_path / 'b.yml', tmp_path / 'missing.yml']
    first = run_module('config_reload', _args(service, files))
    assert (first['failed'], first['changed'], first['reloaded'], service.state['posts']) == (False, True, True, 1)
    again = run_module('config_reload', _args(service, files))
    assert (again['failed'], again['changed'], service.state['posts']) == (False, False, 1)
    assert again['last_reload_time'] >= again['newest_file_time']


def test_files_older_than_the_last_load_change_nothing(tmp_path, service, run_module):
    _touch(tmp_path / 'a.yml', service.state['loaded_at'] - 60)
    result = run_module('config_reload', _args(service, [tmp_path / 'a.yml'], files_changed=True))
    assert (result['failed'], result['changed'], service.state['posts']) == (False, False, 0)


def test_a_refused_reload_fails_in_one_line_with_the_service_words(tmp_path, service, run_module):
    service.state['refuse'] = True
    _touch(tmp_path / 'a.yml', service.state['loaded_at'] + 5)
    result = run_module('config_reload', _args(service, [tmp_path / 'a.yml'], container='svc'))
    name = 'Prometheus' if service.state['service'] == 'prometheus' else 'Alertmanager'
    assert result['failed'] is True
    assert result['msg'] == (
        "%s did not confirm the reload (%s_config_last_reload_successful is not 1): failed to reload config: "
        "parsing YAML file prometheus.yml: bad; it keeps its previous config. See 'docker logs svc'."
        % (name, service.state['service']))


def test_check_mode_predicts_from_files_changed_and_sends_nothing(tmp_path, service, run_module):
    _touch(tmp_path / 'a.yml', service.state['loaded_at'] + 5)
    for changed in (True, False):
        result = run_module('config_reload', _args(service, [tmp_path / 'a.yml'], files_changed=changed),
                            check_mode=True)
        assert (result['changed'], result['reloaded']) == (changed, changed)
    assert service.state['posts'] == 0


def test_an_unreachable_service_fails_in_one_line(tmp_path, run_module, service):
    url = 'http://127.0.0.1:%d' % service.server_address[1]
    service.shutdown()
    service.server_close()
    _touch(tmp_path / 'a.yml', time.time())
    result = run_module('config_reload', {'url': url, 'files': [str(tmp_path / 'a.yml')], 'timeout': 2})
    assert result['failed'] is True
    assert result['msg'].startswith('Could not reach Prometheus at %s/metrics' % url)
    assert '\n' not in result['msg']


def test_the_report_row_says_what_it_did(tmp_path, service, run_module):
    _touch(tmp_path / 'a.yml', service.state['loaded_at'] - 60)
    result = run_module('config_reload', _args(service, [tmp_path / 'a.yml'], report_check='config reloaded'))
    assert result['row'] == {'check': 'config reloaded', 'ok': True, 'detail': 'config up to date'}
