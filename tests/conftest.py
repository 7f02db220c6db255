# -*- coding: utf-8 -*-
"""Shared pytest setup: import the collection from this checkout, and run
modules in-process.

`make setup` links .collections/ansible_collections/coinpilot/monitoring to the
repository root, so putting .collections on sys.path makes
``ansible_collections.coinpilot.monitoring`` importable.
"""

import importlib
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from ansible.module_utils import basic

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, '.collections')
if not os.path.isdir(os.path.join(COLLECTIONS, 'ansible_collections', 'coinpilot', 'monitoring')):
    raise pytest.UsageError('The collection link is missing: run `make setup` first (it links '
                            '.collections/ansible_collections/coinpilot/monitoring to the checkout).')
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)


class ModuleExit(SystemExit):
    """exit_json/fail_json end a module; SystemExit keeps the modules' own
    ``except Exception`` guard from swallowing them, as in a real run."""

    def __init__(self, failed, result):
        super().__init__(1 if failed else 0)
        self.failed = failed
        self.result = result


def _exit_json(self, **kwargs):
    kwargs.setdefault('changed', False)
    raise ModuleExit(False, kwargs)


def _fail_json(self, msg, **kwargs):
    kwargs['msg'] = msg
    kwargs['failed'] = True
    raise ModuleExit(True, kwargs)


def run_module(name, args, check_mode=False):
    """Run ``coinpilot.monitoring.<name>`` in-process; returns its result dict
    (``failed`` is True on fail_json)."""
    module = importlib.import_module('ansible_collections.coinpilot.monitoring.plugins.modules.%s' % name)
    module_args = dict(args)
    module_args['_ansible_check_mode'] = check_mode
    module_args['_ansible_remote_tmp'] = '/tmp'
    module_args['_ansible_keep_remote_files'] = False
    saved = (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE)
    basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': module_args}).encode('utf-8')
    basic._ANSIBLE_PROFILE = 'legacy'
    orig = (basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json)
    basic.AnsibleModule.exit_json = _exit_json
    basic.AnsibleModule.fail_json = _fail_json
    try:
        module.main()
    except ModuleExit as done:
        result = done.result
        result['failed'] = done.failed
        return result
    finally:
        basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json = orig
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = saved
    raise AssertionError('module %s returned without exit_json or fail_json' % name)


@pytest.fixture(name='run_module', scope='session')
def run_module_fixture():
    return run_module


class _Engine(BaseHTTPRequestHandler):
    """A Docker engine stand-in: ``server.routes`` maps a request path to
    (status, JSON body); any other path is a 404, as for a missing image."""
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.asked.append(self.path)
        status, body = self.server.routes.get(self.path, (404, {'message': 'No such object: %s' % self.path}))
        data = json.dumps(body).encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(name='engine_standin')
def engine_standin_fixture():
    """A Docker engine on TCP for the modules that read one; set ``routes``,
    pass ``url`` as docker_host."""
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Engine)
    server.daemon_threads = True
    server.routes, server.asked = {}, []
    server.url = 'tcp://127.0.0.1:%d' % server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
