#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: prometheus_query
short_description: Run an instant PromQL query and assert on its result
version_added: 0.1.0
description:
  - Runs an instant query through Prometheus' C(/api/v1/query) and asserts one expectation on the result
    vector, polling until it holds or O(wait_timeout) expires.
  - When Prometheus rejects the query, the message gives Prometheus' own error text and the query.
  - Works unchanged against a long-term store that serves the Prometheus query API, with O(url) set to it, such as
    VictoriaMetrics single-node (C(http://vm:8428), or C(http://vm:8428/prometheus)), the VictoriaMetrics cluster
    (C(http://vmselect:8481/select/<tenant>/prometheus)), Thanos Query, or Mimir behind a gateway that sets its
    C(X-Scope-OrgID) header (the module sends no custom headers). Tested against the real VictoriaMetrics 1.112,
    fed by Prometheus' remote write.
author:
  - CoinPilot platform team (@coinpilot)
extends_documentation_fragment:
  - coinpilot.monitoring.attributes
  - coinpilot.monitoring.connection
  - coinpilot.monitoring.connection.prometheus
options:
  query:
    description:
      - The PromQL expression.
    type: str
    required: true
  time:
    description:
      - Evaluation time as a Unix timestamp or RFC 3339 string. Prometheus uses the current time when omitted.
    type: str
  expect:
    description:
      - V(non_empty) passes when the result holds at least one series.
      - V(empty) passes when it holds none, for example "no alerts firing".
      - V(min_series) passes when it holds at least O(min_series) series.
      - V(in_range) passes when it is not empty and every value lies within O(min_value) and O(max_value)
        (either bound may be left out).
    type: str
    choices: [non_empty, empty, min_series, in_range]
    default: non_empty
  min_series:
    description:
      - The least number of series, with O(expect=min_series). At least V(1).
    type: int
  min_value:
    description:
      - Lower bound (inclusive) for every value, with O(expect=in_range).
    type: float
  max_value:
    description:
      - Upper bound (inclusive) for every value, with O(expect=in_range). Not below O(min_value).
    type: float
  by_label:
    description:
      - A label whose values the result must cover, for example V(job) when the query is answered per job.
      - With O(expected_values), the module fails unless each of those values has at least one series with
        this label set to it, and names the values that have none in the message and in RV(missing).
        This catches what a range check alone cannot, a job with no series at all.
      - O(expect) still applies; O(expect=empty) cannot go with it.
    type: str
  expected_values:
    description:
      - The values of O(by_label) that must each have a series.
    type: list
    elements: str
  report_detail:
    description:
      - "How RV(row) describes each series, for example V({job}: longest {value}s). V({value}) is the series'
        value and V({name}) any of its labels (empty when the series lacks it). The series are joined with
        commas; on failure, the module's message follows."
      - Only with O(report_check).
    type: str
'''

EXAMPLES = r'''
- name: Every node-exporter is up
  coinpilot.monitoring.prometheus_query:
    query: min(up{job="node-exporter"})
    expect: in_range
    min_value: 1
    wait_timeout: 30

- name: No alert is firing
  coinpilot.monitoring.prometheus_query:
    query: ALERTS{alertstate="firing"}
    expect: empty

- name: Every expected job was up for the whole hour, and none is without a series
  coinpilot.monitoring.prometheus_query:
    query: avg by (job) (avg_over_time(up[1h]))
    expect: in_range
    min_value: 1
    by_label: job
    expected_values: [prometheus, node-exporter, cadvisor]

- name: cAdvisor exports at least four containers
  coinpilot.monitoring.prometheus_query:
    query: count by (name) (container_last_seen{job="cadvisor", name!=""})
    expect: min_series
    min_series: 4
'''

RETURN = r'''
query:
  description: The query as sent.
  returned: always
  type: str
result_type:
  description: Prometheus' C(resultType) (C(vector), C(scalar), C(matrix) or C(string)).
  returned: when Prometheus answered
  type: str
  sample: vector
result:
  description:
    - The result vector, each element with its C(metric) labels and C(value) (timestamp, value as a string).
    - A scalar or string result is returned as one element without labels.
  returned: when Prometheus answered
  type: list
  elements: dict
  sample:
    - metric: {__name__: up, instance: "localhost:9090", job: prometheus}
      value: [1714557600.123, "1"]
series_count:
  description: How many series the result holds.
  returned: when Prometheus answered
  type: int
  sample: 1
row:
  description: The report row of O(report_check). C(detail) describes each series with O(report_detail), then,
    on failure, gives the message.
  returned: with O(report_check)
  type: dict
  sample: {check: "no scrape gaps in 1h", ok: true, detail: "cadvisor: longest 15.2s, prometheus: longest 15s"}
missing:
  description: The values of O(expected_values) that no series has in its O(by_label) label; empty without O(by_label).
  returned: when Prometheus answered
  type: list
  elements: str
  sample: [cadvisor]
'''

import math
import re

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import (
    OptionError, new_module, poll, require_items, run_guarded)
from ansible_collections.coinpilot.monitoring.plugins.module_utils._prometheus import PrometheusClient


def normalize_result(data):
    rtype = (data or {}).get('resultType') or ''
    result = (data or {}).get('result')
    if rtype in ('scalar', 'string'):
        return rtype, ([{'metric': {}, 'value': result}] if result is not None else [])
    if rtype == 'matrix':
        return rtype, [{'metric': s.get('metric') or {}, 'value': (s.get('values') or [[None, None]])[-1]}
                       for s in result or []]
    return rtype, list(result or [])


def _labels(series):
    metric = series.get('metric') or {}
    return '{' + ', '.join('%s="%s"' % kv for kv in sorted(metric.items())) + '}'


def assess(series, expect, min_series=None, min_value=None, max_value=None):
    """Return None when the expectation holds, else why it does not."""
    count = len(series)
    if expect == 'empty':
        if count:
            return 'expected no series, got %d: %s' % (count, ', '.join(
                '%s %s' % (_labels(s), s['value'][1]) for s in series[:5]) + (' ...' if count > 5 else ''))
        return None
    if expect == 'min_series':
        if count < min_series:
            return 'expected at least %d series, got %d' % (min_series, count)
        return None
    if count == 0:
        return 'expected data, the result is empty (no series match, or they went stale)'
    if expect == 'in_range':
        bad = []
        for s in series:
            try:
                value = float(s['value'][1])
            except (TypeError, ValueError, IndexError):
                bad.append('%s is not a number' % _labels(s))
                continue
            if math.isnan(value) or (min_value is not None and value < min_value) \
                    or (max_value is not None and value > max_value):
                bad.append('%s = %s' % (_labels(s), s['value'][1]))
        if bad:
            return 'expected every value within [%s, %s]; out of range: %s' % (
                '-inf' if min_value is None else '%g' % min_value,
                '+inf' if max_value is None else '%g' % max_value, '; '.join(bad[:10]))
    return None


_FIELD_RE = re.compile(r'\{([a-zA-Z_][a-zA-Z0-9_]*)\}')


def describe(series, template):
    """Each series through ``template``: {value}, or {label} of its metric."""
    def one(s):
        fields = dict(s.get('metric') or {}, value=str((s.get('value') or [None, ''])[1]))
        return _FIELD_RE.sub(lambda m: fields.get(m.group(1), ''), template)
    return ', '.join(one(s) for s in series)


def missing_values(series, label, expected):
    """The ``expected`` values of ``label`` that no series carries, in order."""
    present = {str((s.get('metric') or {}).get(label)) for s in series if label in (s.get('metric') or {})}
    return [v for v in expected if v not in present]


_LABEL_RE = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_]*$')


def validate(params):
    if params['min_series'] is not None and params['min_series'] < 1:
        raise OptionError('min_series', 'at least 1', params['min_series'])
    low, high = params['min_value'], params['max_value']
    if low is not None and high is not None and low > high:
        raise OptionError('min_value', 'at most max_value (%g)' % high, low)
    if params['by_label'] is not None:
        if not _LABEL_RE.match(params['by_label']):
            raise OptionError('by_label', 'a Prometheus label name', params['by_label'])
        if params['expect'] == 'empty':
            raise OptionError('expect', 'other than empty with by_label', params['expect'])
        require_items(params, 'expected_values', 'a label value')


def run(module):
    p = module.params
    client = PrometheusClient.from_module(module, pool_size=2)
    state = {'missing': []}

    def check():
        data = client.query(p['query'], p['time'], origin="option 'query'")
        rtype, series = normalize_result(data)
        state.update(result_type=rtype, result=series, series_count=len(series))
        if p['report_detail']:
            module.row_detail = describe(series, p['report_detail'])
        problems = []
        if p['by_label']:
            state['missing'] = missing_values(series, p['by_label'], p['expected_values'])
            if state['missing']:
                problems.append('no series for %s' % ', '.join('%s="%s"' % (p['by_label'], v) for v in state['missing']))
        problem = assess(series, p['expect'], p['min_series'], p['min_value'], p['max_value'])
        if problem:
            problems.append(problem)
        state['problem'] = '; '.join(problems)
        return not problems, None

    ok, dummy = poll(check, p['wait_timeout'])
    result = dict(changed=False, query=p['query'], result_type=state['result_type'], result=state['result'],
                  series_count=state['series_count'], missing=state['missing'])
    if not ok:
        module.fail_json(msg='Query %s on Prometheus at %s: %s' % (p['query'], client.base_url, state['problem']),
                         **result)
    module.exit_json(**result)


def main():
    module = new_module(
        dict(
            query=dict(type='str', required=True),
            time=dict(type='str'),
            expect=dict(type='str', default='non_empty', choices=['non_empty', 'empty', 'min_series', 'in_range']),
            min_series=dict(type='int'),
            min_value=dict(type='float'),
            max_value=dict(type='float'),
            by_label=dict(type='str'),
            expected_values=dict(type='list', elements='str'),
            report_detail=dict(type='str'),
        ),
        default_url='http://127.0.0.1:9090',
        required_if=[('expect', 'min_series', ['min_series']),
                     ('expect', 'in_range', ['min_value', 'max_value'], True)],
        required_together=[('by_label', 'expected_values')],
        required_by={'report_detail': 'report_check'},
        validate=validate,
    )
    run_guarded(module, run)


if __name__ == '__main__':
    main()
