# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read the running containers from the Docker Engine API with the stdlib.

Private to this collection. The target host has no Docker SDK, and one GET
does not justify one, so this speaks HTTP over the engine's Unix socket (or
plain TCP) with http.client.
"""

import http.client
import json
import socket
from urllib.parse import urlparse

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import ApiError, describe_os_error


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


def _connection(docker_host, timeout):
    parsed = urlparse(docker_host)
    if parsed.scheme == 'unix':
        return _UnixHTTPConnection(parsed.path, timeout)
    if parsed.scheme in ('tcp', 'http'):
        return http.client.HTTPConnection(parsed.hostname, parsed.port or 2375, timeout=timeout)
    raise ApiError('docker_host %s is not supported: use unix:///path/to/docker.sock or tcp://host:port'
                   % docker_host)


def get_json(docker_host, path, timeout=10.0):
    where = 'Docker at %s%s' % (docker_host, path)
    conn = _connection(docker_host, timeout)
    try:
        conn.request('GET', path, headers={'Accept': 'application/json', 'Host': 'docker'})
        resp = conn.getresponse()
        raw = resp.read()
    except socket.timeout:
        raise ApiError('Could not reach %s: no answer within %s s (timeout)' % (where, timeout), transient=True)
    except (OSError, http.client.HTTPException) as exc:
        raise ApiError('Could not reach %s: %s' % (where, describe_os_error(exc)), transient=True)
    finally:
        conn.close()
    text = raw.decode('utf-8', 'replace')
    if resp.status >= 400:
        raise ApiError('%s answered HTTP %d: %s' % (where, resp.status, text.strip()[:200]),
                       transient=resp.status >= 500)
    try:
        return json.loads(text)
    except ValueError:
        raise ApiError('%s answered with a body that is not JSON: %r' % (where, text[:120]))


def running_containers(docker_host, timeout=10.0):
    """``GET /containers/json``: the running containers, in the Engine API's shape."""
    data = get_json(docker_host, '/containers/json', timeout)
    if not isinstance(data, list):
        raise ApiError('Docker at %s/containers/json answered with JSON that is not a list' % docker_host)
    return data
