# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read the Docker Engine API with the stdlib.

Private to this collection. The target host has no Docker SDK, and one GET
does not justify one, so this speaks HTTP over the engine's Unix socket (or
plain TCP) with http.client.
"""

import http.client
import json
import socket
import time
from urllib.parse import urlparse

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import (
    CHUNK_BYTES, DEFAULT_MAX_RESPONSE_BYTES, ApiError, OptionError, DeadlinePassed, ResponseTooLarge, Watchdog, check_list_of,
    describe_os_error, read_bounded, timeout_error, too_large_error, watch_socket)


class _UnixHTTPConnection(http.client.HTTPConnection):

    def __init__(self, socket_path, timeout):
        super().__init__('localhost', timeout=timeout)
        self.socket_path = socket_path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except Exception:
            sock.close()
            raise
        self.sock = sock


def check_docker_host(docker_host):
    """Raise OptionError unless ``docker_host`` names a socket or a TCP
    address; returns its parsed form."""
    try:
        parsed = urlparse(docker_host)
        ok = (parsed.scheme == 'unix' and bool(parsed.path)) or \
            (parsed.scheme in ('tcp', 'http') and bool(parsed.hostname))
        dummy = parsed.port  # a port that is not a number raises here
    except ValueError:
        ok = False
    if not ok:
        raise OptionError('docker_host', 'unix:///path/to/docker.sock or tcp://host:port', docker_host)
    return parsed


def _connection(docker_host, timeout):
    parsed = check_docker_host(docker_host)
    if parsed.scheme == 'unix':
        return _UnixHTTPConnection(parsed.path, timeout)
    return http.client.HTTPConnection(parsed.hostname, parsed.port or 2375, timeout=timeout)


def get_json(docker_host, path, timeout=10.0, max_bytes=DEFAULT_MAX_RESPONSE_BYTES):
    """GET ``path`` within ``timeout`` seconds in all and at most ``max_bytes``
    of body, like the HTTP client of the other services."""
    where = 'Docker at %s%s' % (docker_host, path)
    conn = _connection(docker_host, timeout)
    answered = False
    try:
        with Watchdog(time.monotonic() + timeout) as dog:
            try:
                conn.connect()
                watch_socket(conn.sock)
                conn.request('GET', path, headers={'Accept': 'application/json', 'Host': 'docker'})
                resp = conn.getresponse()
                if dog.expired():
                    # Cut headers end at the end of the stream, like whole ones.
                    raise DeadlinePassed()
                answered = True
                raw = read_bounded(iter(lambda: resp.read(CHUNK_BYTES), b''), max_bytes, dog.deadline, dog.clock)
            except ResponseTooLarge:
                raise too_large_error(where, max_bytes)
            except (DeadlinePassed, socket.timeout):
                raise timeout_error(where, timeout, answered)
            except (OSError, http.client.HTTPException) as exc:
                if dog.expired():
                    raise timeout_error(where, timeout, answered)
                raise ApiError('Could not reach %s: %s' % (where, describe_os_error(exc)), transient=True)
            # A body that ends at the connection's close looks complete when
            # the watchdog cut it; only the clock can tell.
            if dog.expired():
                raise timeout_error(where, timeout, True)
    finally:
        conn.close()
    text = raw.decode('utf-8', 'replace')
    if resp.status >= 400:
        raise ApiError('%s answered HTTP %d: %s' % (where, resp.status, text.strip()[:200]),
                       transient=resp.status >= 500, status=resp.status)
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError('%s answered with a body that is not JSON: %r' % (where, text[:120]))


def running_containers(docker_host, timeout=10.0, max_bytes=DEFAULT_MAX_RESPONSE_BYTES):
    """``GET /containers/json``: the running containers, in the Engine API's shape."""
    data = get_json(docker_host, '/containers/json', timeout, max_bytes)
    return check_list_of(data, dict, 'Docker at %s/containers/json' % docker_host, 'JSON', 'a container')
