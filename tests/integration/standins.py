# -*- coding: utf-8 -*-
"""Local HTTP stand-ins for the services this machine does not run.

* ``misbehave``: answers with 401/403/404/500/503, a body that is not JSON, or
  too slowly, to test the modules' error path.
* ``grafana``: Grafana's HTTP API for the endpoints grafana_health and
  grafana_dashboard_data use, with the response shapes of Grafana's HTTP API
  documentation (health, datasources by uid and their health check,
  dashboards by uid, library elements).
* ``DockerSocket``: the Docker Engine API's ``GET /containers/json`` on a Unix
  socket, in the Engine API's documented shape.
"""

import json
import os
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    routes = None  # set by serve(): list of (prefix, function)

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        for prefix, func in self.server.routes:
            if self.path.startswith(prefix):
                status, ctype, body = func(self, self.path[len(prefix):])
                break
        else:
            status, ctype, body = 404, 'text/plain', 'no route'
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        data = body.encode('utf-8') if isinstance(body, str) else body
        try:
            self.send_response(status)
            self.send_header('Content-Type', ctype)
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


class StandIn:

    def __init__(self, routes, server_class=ThreadingHTTPServer, address=('127.0.0.1', 0)):
        self.server = server_class(address, Handler)
        self.server.daemon_threads = True
        self.server.routes = routes
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return 'http://%s:%d' % (host, port)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# -- misbehaving server -------------------------------------------------------

def misbehave_routes():
    def status(code, body, ctype='application/json'):
        return lambda handler, rest: (code, ctype, body)

    def slow(handler, rest):
        time.sleep(3)
        return 200, 'application/json', {'status': 'success', 'data': {'activeTargets': []}}

    return [
        ('/status401', status(401, 'Unauthorized\n', 'text/plain')),
        ('/status403', status(403, {'message': 'Permissions needed: datasources:read'})),
        ('/status404', status(404, '404 page not found\n', 'text/plain')),
        ('/status500', status(500, 'runtime error: invalid memory address\n', 'text/plain')),
        ('/status503', status(503, 'Service Unavailable', 'text/plain')),
        ('/notjson', status(200, '<html><body>Login</body></html>', 'text/html')),
        ('/wrongjson', status(200, ['not', 'an', 'api', 'answer'])),
        ('/slow', slow),
    ]


# -- Grafana ------------------------------------------------------------------

def grafana_routes(dashboards, library_elements=None, token=None):
    """``dashboards`` maps uid -> (model, provisioned)."""
    library_elements = library_elements or {}
    datasources = {
        'prometheus': {'id': 1, 'uid': 'prometheus', 'orgId': 1, 'name': 'Prometheus', 'type': 'prometheus',
                       'typeLogoUrl': '', 'access': 'proxy', 'url': 'http://prometheus:9090', 'user': '',
                       'database': '', 'basicAuth': False, 'isDefault': True, 'jsonData': {'timeInterval': '15s'},
                       'readOnly': True},
        'broken': {'id': 2, 'uid': 'broken', 'orgId': 1, 'name': 'Broken', 'type': 'prometheus',
                   'access': 'proxy', 'url': 'http://nowhere:9090', 'isDefault': False, 'jsonData': {},
                   'readOnly': True},
    }

    def api(handler, rest):
        if token is not None and handler.headers.get('Authorization') != 'Bearer %s' % token:
            return 401, 'application/json', {'message': 'Unauthorized'}
        if rest == '/api/health':
            return 200, 'application/json', {'commit': '2f0a6e3', 'database': 'ok', 'version': '10.4.2'}
        if rest.startswith('/api/datasources/uid/'):
            uid = rest[len('/api/datasources/uid/'):]
            check = uid.endswith('/health')
            uid = uid[:-len('/health')] if check else uid
            if uid not in datasources:
                return 404, 'application/json', {'message': 'Data source not found'}
            if not check:
                return 200, 'application/json', datasources[uid]
            if uid == 'broken':
                return 400, 'application/json', {
                    'status': 'ERROR',
                    'message': 'Post "http://nowhere:9090/api/v1/query": dial tcp: lookup nowhere: no such host'}
            return 200, 'application/json', {'status': 'OK', 'message': 'Successfully queried the Prometheus API.'}
        if rest.startswith('/api/dashboards/uid/'):
            uid = rest[len('/api/dashboards/uid/'):]
            if uid not in dashboards:
                return 404, 'application/json', {'message': 'Dashboard not found', 'status': 'not-found'}
            model, provisioned = dashboards[uid]
            return 200, 'application/json', {
                'dashboard': model,
                'meta': {'type': 'db', 'canSave': True, 'slug': uid, 'url': '/d/%s/%s' % (uid, uid),
                         'provisioned': provisioned,
                         'provisionedExternalId': 'infra.json' if provisioned else '', 'folderUid': ''}}
        if rest.startswith('/api/library-elements/'):
            uid = rest[len('/api/library-elements/'):]
            if uid not in library_elements:
                return 404, 'application/json', {'message': 'library element could not be found'}
            return 200, 'application/json', {'result': dict(library_elements[uid], uid=uid, kind=1)}
        return 404, 'application/json', {'message': 'Not found'}

    def dbfail(handler, rest):
        if rest == '/api/health':
            return 503, 'application/json', {'commit': '2f0a6e3', 'database': 'failing', 'version': '10.4.2'}
        return api(handler, rest)

    return [('/dbfail', dbfail), ('', api)]


# -- Docker Engine API on a Unix socket ---------------------------------------

CONTAINERS = [
    # (name, full id, image)
    ('prometheus', 'a1' * 32, 'prom/prometheus:v3.5.3'),
    ('grafana', 'b2' * 32, 'grafana/grafana:12.3.3'),
    ('coinpilot-core', 'c3' * 32, 'coinpilot/core:1.4'),
]


def docker_containers_json(containers=None):
    """What ``GET /containers/json`` returns for running containers."""
    containers = CONTAINERS if containers is None else containers
    return [{'Id': cid, 'Names': ['/' + name], 'Image': image, 'ImageID': 'sha256:' + 'e' * 64,
             'Command': '/bin/run', 'Created': 1714550000, 'State': 'running', 'Status': 'Up 5 minutes',
             'Ports': [], 'Labels': {}} for name, cid, image in containers]


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class _UnixHandler(Handler):

    def address_string(self):
        return 'unix'


class DockerSocket:

    def __init__(self, path, containers_json):
        self.path = path
        if os.path.exists(path):
            os.unlink(path)
        self.server = _UnixServer(path, _UnixHandler)
        self.server.routes = [('/containers/json', lambda h, rest: (200, 'application/json', containers_json))]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return 'unix://' + self.path

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        if os.path.exists(self.path):
            os.unlink(self.path)
