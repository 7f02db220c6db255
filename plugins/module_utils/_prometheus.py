# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Prometheus HTTP API calls shared by the verification modules.

Private to this collection. Endpoints used (Prometheus HTTP API v1):
/api/v1/query, /api/v1/query_range, /api/v1/targets, /api/v1/series,
/api/v1/labels, /api/v1/label/<name>/values and /api/v1/status/runtimeinfo.
"""

import datetime
import re

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import (
    ApiError, HttpClient, check_list_of, check_type, preview)


class PromQLError(ApiError):
    """Prometheus refused a query; ``error`` holds its own words."""

    def __init__(self, message, error, error_type=None):
        super().__init__(message)
        self.error = error
        self.error_type = error_type


_RESULT_TYPES = ('vector', 'matrix', 'scalar', 'string')


def check_sample(sample, where):
    """A sample is ``[unix time, value]``, the value a string or a number."""
    ok = isinstance(sample, list) and len(sample) == 2 and isinstance(sample[0], (int, float)) \
        and not isinstance(sample[0], bool) and isinstance(sample[1], (str, int, float))
    if not ok:
        raise ApiError('%s answered a sample that is not [time, value] (%s)' % (where, preview(sample)))


def check_query_data(data, where):
    """The ``data`` of /api/v1/query or /api/v1/query_range, checked down to
    each sample, so that no caller counts the letters of a string as series."""
    check_type(data, dict, where, 'data')
    rtype = data.get('resultType')
    if rtype not in _RESULT_TYPES:
        raise ApiError('%s answered a resultType that is not vector, matrix, scalar or string (%s)'
                       % (where, preview(rtype)))
    result = data.get('result')
    if rtype in ('scalar', 'string'):
        check_sample(result, where)
        return data
    for series in check_list_of(result, dict, where, 'a result', 'a series'):
        check_type(series.get('metric', {}), dict, where, 'a metric')
        if rtype == 'vector':
            # A native histogram's sample comes under 'histogram' instead.
            if 'histogram' not in series:
                check_sample(series.get('value'), where)
        else:
            for sample in check_type(series.get('values', []), list, where, 'series values'):
                check_sample(sample, where)
            check_type(series.get('histograms', []), list, where, 'series histograms')
    return data


def check_targets_data(data, where):
    check_type(data, dict, where, 'data')
    for target in check_list_of(data.get('activeTargets', []), dict, where, 'activeTargets', 'a target'):
        check_type(target.get('labels', {}), dict, where, 'target labels')
    return data


class PrometheusClient(HttpClient):

    SERVICE = 'Prometheus'

    def api(self, path, params=None, origin=None):
        """GET an API path and return its ``data``.

        Prometheus answers a rejected query with 400 or 422 and a JSON body
        carrying its own error text; that text, and ``origin`` (where the query
        came from), make the message.
        """
        status, body = self.get_json(path, params=params, accept_status=(400, 422))
        where = self.where(path)
        if not isinstance(body, dict) or 'status' not in body:
            raise ApiError('%s answered HTTP %d with JSON that is not a Prometheus API response' % (where, status))
        if body['status'] == 'error' or status in (400, 422):
            error = body.get('error') or 'unknown error'
            query = (params or {}).get('query') or (params or {}).get('match[]')
            msg = 'Prometheus at %s rejected ' % self.endpoint(path)
            msg += ('the query from %s' % origin) if origin else 'the request'
            msg += ': %s' % (error if isinstance(error, str) else preview(error))
            if query:
                msg += '; query: %s' % query
            raise PromQLError(msg, error, body.get('errorType'))
        if body['status'] != 'success':
            raise ApiError('%s answered a status that is not "success" or "error" (%s)'
                           % (where, preview(body['status'])))
        if 'data' not in body:
            raise ApiError('%s answered "success" without data' % where)
        return body['data']

    def query(self, expr, time_=None, origin=None):
        params = {'query': expr}
        if time_ is not None:
            params['time'] = time_ if isinstance(time_, str) else _ts(time_)
        return check_query_data(self.api('/api/v1/query', params, origin=origin), self.where('/api/v1/query'))

    def query_vector(self, expr, time_=None, origin=None):
        """The series of an instant query that must answer a vector."""
        data = self.query(expr, time_, origin=origin)
        if data['resultType'] != 'vector':
            raise ApiError('%s answered a %s result where the query asks for a vector'
                           % (self.where('/api/v1/query'), data['resultType']))
        return data['result']

    def query_range(self, expr, start, end, step, origin=None):
        params = {'query': expr, 'start': _ts(start), 'end': _ts(end), 'step': _ts(step)}
        data = self.api('/api/v1/query_range', params, origin=origin)
        return check_query_data(data, self.where('/api/v1/query_range'))

    def start_time(self):
        """When this Prometheus started, in Unix seconds, from
        /api/v1/status/runtimeinfo; None where that API is not served."""
        try:
            data = self.api('/api/v1/status/runtimeinfo')
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        where = self.where('/api/v1/status/runtimeinfo')
        text = check_type(data, dict, where, 'data').get('startTime')
        try:
            return rfc3339_seconds(text)
        except (TypeError, ValueError):
            raise ApiError('%s answered a startTime that is not an RFC 3339 time (%s)' % (where, preview(text)))

    def targets(self, state='active'):
        return check_targets_data(self.api('/api/v1/targets', {'state': state}), self.where('/api/v1/targets'))

    def _list(self, path, params, origin, kind, noun):
        data = self.api(path, params, origin=origin)
        return check_list_of([] if data is None else data, kind, self.where(path), 'data', noun)

    def label_values(self, label, match=None, start=None, end=None, origin=None):
        params = {}
        if match:
            params['match[]'] = match
        _add_range(params, start, end)
        return self._list('/api/v1/label/%s/values' % label, params, origin, str, 'a label value')


def rfc3339_seconds(text):
    """Unix seconds of an RFC 3339 time as Go writes it (nanoseconds, ``Z``
    or an offset), which Python's parser takes only from 3.11 on."""
    text = re.sub(r'(\.\d{6})\d+', r'\1', text.strip())
    return datetime.datetime.fromisoformat(re.sub(r'[Zz]$', '+00:00', text)).timestamp()


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
