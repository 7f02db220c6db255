# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Alertmanager HTTP API calls shared by the verification modules.

Private to this collection. Endpoints used (Alertmanager API v2):
/api/v2/status, /api/v2/alerts (GET and POST), and /metrics (HttpClient.metrics).
"""

import json
import re

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import ApiError, HttpClient


class AlertmanagerClient(HttpClient):

    SERVICE = 'Alertmanager'

    def status(self):
        dummy, body = self.get_json('/api/v2/status')
        if not isinstance(body, dict) or 'versionInfo' not in body:
            raise ApiError('Alertmanager at %s answered JSON that is not an Alertmanager status'
                           % self.endpoint('/api/v2/status'))
        return body

    def post_alerts(self, alerts):
        # Alertmanager answers an accepted POST with an empty body.
        self.request_raw('POST', '/api/v2/alerts', json_body=alerts)

    def alerts(self, matchers):
        """Alerts matching every ``label="value"`` of ``matchers`` (a dict),
        including silenced and inhibited ones."""
        params = {'filter': ['%s=%s' % (k, json.dumps(v)) for k, v in sorted(matchers.items())],
                  'silenced': 'true', 'inhibited': 'true', 'active': 'true', 'unprocessed': 'true'}
        dummy, body = self.get_json('/api/v2/alerts', params=params)
        if not isinstance(body, list):
            raise ApiError('Alertmanager at %s answered JSON that is not a list of alerts'
                           % self.endpoint('/api/v2/alerts'))
        return body


def counter_by(metrics, name, label, only=None):
    """Sum of the samples of ``name`` by the value of ``label``, keeping the
    label values in ``only`` when given."""
    sums = {}
    for (metric, labels), value in metrics.items():
        if metric != name:
            continue
        key = dict(labels).get(label, '')
        if only is not None and key not in only:
            continue
        sums[key] = sums.get(key, 0.0) + value
    return sums


def increase(before, after):
    """Per key, how much a counter grew (a reset counts from zero)."""
    grown = {}
    for key, value in after.items():
        old = before.get(key, 0.0)
        delta = value - old if value >= old else value
        if delta > 0:
            grown[key] = delta
    return grown


_RECEIVER = re.compile(r'^- name: (.+?)\s*$')
_INTEGRATION = re.compile(r'^  ([a-z0-9]+)_configs:')


def receiver_integrations(config_text):
    """``{receiver: [integration, ...]}`` from the config Alertmanager reports
    in /api/v2/status (``config.original``, which Alertmanager writes back in
    its own regular YAML layout). The integration names are those of the
    ``integration`` label of its notification metrics."""
    receivers = {}
    current = None
    inside = False
    for line in (config_text or '').splitlines():
        if not line.startswith((' ', '-')):
            inside = line.rstrip() == 'receivers:'
            current = None
            continue
        if not inside:
            continue
        match = _RECEIVER.match(line)
        if match:
            current = match.group(1).strip('"\'')
            receivers[current] = []
            continue
        match = _INTEGRATION.match(line)
        if match and current is not None:
            receivers[current].append(match.group(1))
    return receivers
