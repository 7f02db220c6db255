# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Grafana HTTP API calls shared by the verification modules, each answer's
shape checked once, here.

Private to this collection. Endpoints used: /api/health,
/api/datasources/uid/<uid>, /api/datasources/uid/<uid>/health,
/api/dashboards/uid/<uid> and /api/library-elements/<uid>.
"""

from urllib.parse import quote

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import HttpClient, check_type


class GrafanaClient(HttpClient):

    SERVICE = 'Grafana'

    def _get_object(self, path, accept_status=()):
        """``(status, body)`` for a path whose every answer is a JSON object."""
        status, body = self.get_json(path, accept_status=accept_status)
        return status, check_type(body, dict, self.where(path), 'a body')

    def health(self):
        """``(status, body)`` of /api/health; 503 is Grafana's answer for a failing database."""
        return self._get_object('/api/health', accept_status=(503,))

    def datasource(self, uid):
        """The datasource's settings, or None when Grafana has none with this uid."""
        status, body = self._get_object(uid_path('/api/datasources/uid/', uid), accept_status=(404,))
        return None if status == 404 else body

    def datasource_health(self, uid):
        """``(status, body)`` of Grafana's own check of a datasource; a failed
        check is 400 (or 5xx) with ``status`` and ``message`` in the body."""
        return self._get_object(uid_path('/api/datasources/uid/', uid) + '/health',
                                accept_status=(400, 500, 502, 503))

    def dashboard(self, uid, required=False):
        """``(dashboard model, meta)``, or None when there is no such
        dashboard and ``required`` is false."""
        path = uid_path('/api/dashboards/uid/', uid)
        status, body = self._get_object(path, accept_status=() if required else (404,))
        if status == 404:
            return None
        where = self.where(path)
        return (check_type(body.get('dashboard'), dict, where, 'a dashboard model'),
                check_type(body.get('meta', {}), dict, where, 'dashboard meta'))

    def library_element(self, uid):
        """A library panel's model, or None when Grafana has none with this uid."""
        path = uid_path('/api/library-elements/', uid)
        status, body = self._get_object(path, accept_status=(404,))
        if status == 404:
            return None
        where = self.where(path)
        result = check_type(body.get('result'), dict, where, 'a result')
        return check_type(result.get('model'), dict, where, 'a library panel model')


def uid_path(prefix, uid):
    return prefix + quote(uid, safe='')
