"""A notification receiver for the test rig: it records what it is sent.

It stands where Discord (or Slack, or any webhook) would: Alertmanager POSTs
its notifications here, and the tests read them back to prove that an alert
really arrived, and with what body.

- ``POST <any path>``: recorded, answered 204 like a Discord webhook. A path
  containing ``/status/<code>/`` is answered with that code instead, so a test
  can make the receiver fail.
- ``GET /recorded``: the recorded requests, oldest first, as JSON: each with
  ``path_sha256`` (the path holds the webhook's secret token, so it is never
  stored in the clear), ``status`` (what was answered), ``received_at``
  (Unix time), ``body`` (parsed JSON, else text) and ``text`` (the raw body).
- ``DELETE /recorded``: forget everything.

Run: ``python3 recorder.py [ADDRESS] [PORT]`` (default 0.0.0.0 8080), or
import it and call ``serve()``.
"""

import hashlib
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_STATUS_IN_PATH = re.compile(r'/status/([1-5][0-9][0-9])(/|$)')


class _Handler(BaseHTTPRequestHandler):
    server_version = 'rig-recorder/1'

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        # Quiet: the test output is the record, and the path holds a secret.
        pass

    def _answer(self, status, payload=None):
        data = b'' if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def do_GET(self):  # pylint: disable=invalid-name
        if self.path.split('?')[0] == '/recorded':
            with self.server.lock:
                self._answer(200, list(self.server.records))
        else:
            self._answer(404, {'error': 'only /recorded is served'})

    def do_DELETE(self):  # pylint: disable=invalid-name
        with self.server.lock:
            del self.server.records[:]
        self._answer(204)

    def do_POST(self):  # pylint: disable=invalid-name
        raw = self.rfile.read(int(self.headers.get('Content-Length') or 0)).decode('utf-8', 'replace')
        match = _STATUS_IN_PATH.search(self.path)
        status = int(match.group(1)) if match else 204
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self.server.lock:
            self.server.records.append({
                'path_sha256': hashlib.sha256(self.path.encode()).hexdigest(),
                'status': status,
                'received_at': time.time(),
                'content_type': self.headers.get('Content-Type', ''),
                'body': body,
                'text': raw,
            })
        self._answer(status, None if status == 204 else {'message': 'recorder answered %d' % status})


def serve(address='127.0.0.1', port=0):
    """Start a recorder in a thread; returns the server (``server_address``
    holds the port, ``records`` what arrived; call ``shutdown()`` to stop)."""
    server = ThreadingHTTPServer((address, port), _Handler)
    server.records = []
    server.lock = threading.Lock()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


def main(argv):
    address = argv[1] if len(argv) > 1 else '0.0.0.0'
    port = int(argv[2]) if len(argv) > 2 else 8080
    server = ThreadingHTTPServer((address, port), _Handler)
    server.records = []
    server.lock = threading.Lock()
    server.serve_forever()


if __name__ == '__main__':
    main(sys.argv)
