# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Prometheus HTTP API calls shared by the verification modules.

Private to this collection. Endpoints used (Prometheus HTTP API v1):
/api/v1/query, /api/v1/query_range, /api/v1/targets, /api/v1/series,
/api/v1/labels and /api/v1/label/<name>/values.
"""

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import ApiError, HttpClient


class PromQLError(ApiError):
    """Prometheus refused a query; ``error`` holds its own words."""

    def __init__(self, message, error, error_type=None):
        super().__init__(message)
        self.error = error
        self.error_type = error_type


class PrometheusClient(HttpClient):

    def __init__(self, base_url, **kwargs):
        super().__init__('Prometheus', base_url, **kwargs)

    @classmethod
    def from_module(cls, module, pool_size=10, prefix=''):
        p = module.params
        return cls(p['url'], timeout=p['timeout'], validate_certs=p['validate_certs'], ca_path=p['ca_path'],
                   username=p['url_username'], password=p['url_password'], bearer_token=p['bearer_token'],
                   pool_size=pool_size)

    def api(self, path, params=None, origin=None):
        """GET an API path and return its ``data``.

        Prometheus answers a rejected query with 400 or 422 and a JSON body
        carrying its own error text; that text, and ``origin`` (where the query
        came from), make the message.
        """
        status, body = self.get_json(path, params=params, accept_status=(400, 422))
        if not isinstance(body, dict) or 'status' not in body:
            raise ApiError('Prometheus at %s answered HTTP %d with JSON that is not a Prometheus API response'
                           % (self.endpoint(path), status))
        if body.get('status') != 'success':
            error = body.get('error') or 'unknown error'
            query = (params or {}).get('query') or (params or {}).get('match[]')
            msg = 'Prometheus at %s rejected ' % self.endpoint(path)
            msg += ('the query from %s' % origin) if origin else 'the request'
            msg += ': %s' % error
            if query:
                msg += '; query: %s' % query
            raise PromQLError(msg, error, body.get('errorType'))
        return body.get('data')

    def query(self, expr, time_=None, origin=None):
        params = {'query': expr}
        if time_ is not None:
            params['time'] = time_ if isinstance(time_, str) else _ts(time_)
        return self.api('/api/v1/query', params, origin=origin)

    def query_range(self, expr, start, end, step, origin=None):
        params = {'query': expr, 'start': _ts(start), 'end': _ts(end), 'step': _ts(step)}
        return self.api('/api/v1/query_range', params, origin=origin)

    def targets(self, state='active'):
        return self.api('/api/v1/targets', {'state': state})

    def series(self, match, start=None, end=None, origin=None):
        params = {'match[]': match}
        _add_range(params, start, end)
        return self.api('/api/v1/series', params, origin=origin) or []

    def label_values(self, label, match=None, start=None, end=None, origin=None):
        params = {}
        if match:
            params['match[]'] = match
        _add_range(params, start, end)
        return self.api('/api/v1/label/%s/values' % label, params, origin=origin) or []

    def label_names(self, match=None, start=None, end=None, origin=None):
        params = {}
        if match:
            params['match[]'] = match
        _add_range(params, start, end)
        return self.api('/api/v1/labels', params, origin=origin) or []


def _ts(value):
    return ('%.3f' % value).rstrip('0').rstrip('.')


def _add_range(params, start, end):
    if start is not None:
        params['start'] = _ts(start)
    if end is not None:
        params['end'] = _ts(end)


def result_has_data(data):
    """Whether a query answer holds at least one sample."""
    if not data:
        return False
    rtype = data.get('resultType')
    result = data.get('result')
    if rtype in ('scalar', 'string'):
        return result is not None
    if rtype == 'matrix':
        return any(s.get('values') or s.get('histograms') for s in result or [])
    return bool(result)


def series_count(data):
    if not data:
        return 0
    if data.get('resultType') in ('scalar', 'string'):
        return 1 if data.get('result') is not None else 0
    return len(data.get('result') or [])
