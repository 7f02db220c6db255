# -*- coding: utf-8 -*-
"""Local HTTP stand-ins for the services this machine does not run.

* ``misbehave``: answers with 401/403/404/500/503, a body that is not JSON or
  of the wrong shape, a redirect, too slowly, one byte at a time (headers or
  body), without end, or echoing the credentials it got, to test the modules'
  error path.
* ``grafana``: Grafana's HTTP API for the endpoints grafana_health and
  grafana_dashboard_data use, with the response shapes of Grafana's HTTP API
  documentation (health, datasources by uid and their health check,
  dashboards by uid, library elements).
* ``DockerSocket``: the Docker Engine API's ``GET /containers/json`` on a Unix
  socket, in the Engine API's documented shape.
"""

import base64
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
                answer = func(self, self.path[len(prefix):])
                if answer is None:  # the route wrote its own answer
                    return
                status, ctype, body = answer
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

def _write(handler, data):
    """Write raw bytes; False once the client has gone."""
    try:
        handler.wfile.write(data)
        handler.wfile.flush()
        return True
    except (BrokenPipeError, ConnectionResetError, OSError):
        return False


def endless(handler, rest):
    """A JSON answer whose result never ends, sent as fast as the client reads."""
    handler.close_connection = True
    if not _write(handler, b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n'
                  b'{"status": "success", "data": {"resultType": "vector", "result": ['):
        return None
    chunk = b'{"metric": {}, "value": [1, "1"]}, ' * 2048
    while _write(handler, chunk):
        pass
    return None


def huge_declared(handler, rest):
    """An answer that announces 10 GiB before its first byte."""
    handler.close_connection = True
    _write(handler, b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n'
           b'{"status": ')
    time.sleep(1)
    return None


def drip(handler, rest, interval=2.0):
    """Headers at once, then the body one byte every ``interval`` seconds."""
    handler.close_connection = True
    body = json.dumps({'status': 'success', 'data': {'resultType': 'vector', 'result': []}}).encode('utf-8')
    if not _write(handler, b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n'
                  % len(body)):
        return None
    for index in range(len(body)):
        if not _write(handler, body[index:index + 1]):
            break
        time.sleep(interval)
    return None


def drip_headers(handler, rest, interval=0.3):
    """A status line, then one byte of a header that never ends every ``interval`` seconds."""
    handler.close_connection = True
    if _write(handler, b'HTTP/1.1 200 OK\r\nX-Drip: '):
        while _write(handler, b'a'):
            time.sleep(interval)
    return None


def echo_credentials(handler, rest):
    """A 401 that repeats what the client sent, as a careless proxy does."""
    header = handler.headers.get('Authorization') or ''
    said = ''
    if header.startswith('Basic '):
        said = base64.b64decode(header[6:]).decode('utf-8', 'replace')
    return 401, 'text/plain', 'Unauthorized: rejected %s (Authorization: %s)\n' % (said, header)


def _api(data):
    return {'status': 'success', 'data': data}


# Prometheus and Grafana answers of the wrong shape, by route.
SHAPES = {
    '/oops': _api({'resultType': 'vector', 'result': 'oops'}),
    '/nodata': {'status': 'success'},
    '/okstatus': {'status': 'ok', 'data': {}},
    '/table': _api({'resultType': 'table', 'result': []}),
    '/badsample': _api({'resultType': 'vector', 'result': [{'metric': {}, 'value': '1'}]}),
    '/badmetric': _api({'resultType': 'vector', 'result': [{'metric': 'up', 'value': [1, '1']}]}),
    '/listdata': _api([1, 2]),
    '/scalar': _api({'resultType': 'scalar', 'result': [1, '4']}),
    '/targetsnotlist': _api({'activeTargets': 'x'}),
    '/targetnotobject': _api({'activeTargets': [5]}),
    '/list': ['not', 'an', 'object'],
    '/dashlist': {'dashboard': [], 'meta': {}},
}


def misbehave_routes():
    def status(code, body, ctype='application/json'):
        return lambda handler, rest: (code, ctype, body)

    def slow(handler, rest):
        time.sleep(3)
        return 200, 'application/json', {'status': 'success', 'data': {'activeTargets': []}}

    def redirect(handler, rest):
        handler.send_response(302)
        handler.send_header('Location', 'http://ops:s3cr3t-pw@elsewhere.invalid/api/v1/query')
        handler.send_header('Content-Length', '0')
        handler.end_headers()
        return None

    html500 = ('<html><head><title>500 Internal Server Error</title><style>body {color: red}</style></head>'
               '<body><center><h1>500 Internal Server Error</h1></center><hr><center>nginx</center></body></html>')
    routes = [
        ('/status401', status(401, 'Unauthorized\n', 'text/plain')),
        ('/status403', status(403, {'message': 'Permissions needed: datasources:read'})),
        ('/status404', status(404, '404 page not found\n', 'text/plain')),
        ('/status500', status(500, 'runtime error: invalid memory address\n', 'text/plain')),
        ('/status503', status(503, 'Service Unavailable', 'text/plain')),
        ('/html500', status(500, html500, 'text/html')),
        ('/notjson', status(200, '<html><body>Login</body></html>', 'text/html')),
        ('/wrongjson', status(200, ['not', 'an', 'api', 'answer'])),
        ('/slow', slow),
        ('/endless', endless),
        ('/huge', huge_declared),
        ('/dripheaders', drip_headers),
        ('/drip', drip),
        ('/echo401', echo_credentials),
        ('/redirect', redirect),
    ]
    routes += [(prefix, status(200, body)) for prefix, body in SHAPES.items()]
    return routes


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
    """``containers_json`` is the answer, or ``answer(handler, rest)`` a
    route function of the misbehaving server."""

    def __init__(self, path, containers_json, answer=None):
        self.path = path
        if os.path.exists(path):
            os.unlink(path)
        self.server = _UnixServer(path, _UnixHandler)
        answer = answer or (lambda h, rest: (200, 'application/json', containers_json))
        self.server.routes = [('/containers/json', answer)]
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
