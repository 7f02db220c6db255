#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: grafana_dashboard_data
short_description: Prove that every panel of a Grafana dashboard gets data from Prometheus
version_added: 0.1.0
description:
  - Takes a dashboard as a JSON file on the managed host, as a dict, or by uid from Grafana.
  - Finds every panel, including panels in rows and collapsed rows, the old C(rows) schema, repeated
    panels and rows, and library panels it can resolve (from the dashboard's C(__elements), or from
    Grafana's C(GET /api/library-elements/<uid>)).
  - Expands what Grafana expands before it runs a query, for the part of Grafana's template syntax that
    public dashboards use (the collection's docs/dashboard-features.md counts it on eleven of them). Query
    variables (C(label_values) with or without a metric or selector, and C(query_result)), with their regex
    (C(/pattern/), the value in group 1) and sort (alphabetical, with or without case); custom, interval (a
    fixed list) and datasource variables; multi-value and "All" selections, with C(allValue) or as an escaped
    regex alternation; the C($var), C(${var}) and C(${var:regex}) syntaxes; C($__interval),
    C($__rate_interval) and C($__range).
  - A query that uses anything else (the C([[var]]) syntax, another named format, another macro, or a
    constant, textbox or auto interval variable) is not sent half expanded; its panel fails with a message
    that names what it uses.
  - Runs every PromQL target against Prometheus over the time range with a bounded pool of concurrent
    queries, and reports each panel as C(data), C(no_data), C(error) or C(skipped) (no Prometheus query,
    or an unresolvable library panel).
  - Fails when any panel, or any panel in O(required_panels), has no data, and when any query is rejected.
    The message names each such panel with the query as actually sent.
  - The connection options (O(url), O(url_username), ...) are Prometheus'; O(grafana_url) and its
    credentials are used only to fetch a dashboard by uid and library panels.
  - The queries and variables work unchanged against a long-term store that serves the Prometheus query
    API, with O(url) set to it, such as VictoriaMetrics single-node (C(http://vm:8428), or C(http://vm:8428/prometheus)), the VictoriaMetrics cluster
    (C(http://vmselect:8481/select/<tenant>/prometheus)), Thanos Query, or Mimir behind a gateway that sets its
    C(X-Scope-OrgID) header (the module sends no custom headers). Tested against the real VictoriaMetrics 1.112,
    fed by Prometheus' remote write.
author:
  - CoinPilot platform team (@coinpilot)
extends_documentation_fragment:
  - coinpilot.monitoring.attributes
  - coinpilot.monitoring.connection
  - coinpilot.monitoring.connection.prometheus
  - coinpilot.monitoring.connection.grafana_second
options:
  dashboard:
    description:
      - 'The dashboard model as a dict or a JSON string. The C({"dashboard": ..., "meta": ...}) envelope of
        Grafana''s API is accepted too.'
      - 'To use a file from the controller: C(dashboard: "{{ lookup(''file'', ''infra.json'') }}").'
    type: raw
  path:
    description:
      - Path of a dashboard JSON file on the managed host.
    type: path
  uid:
    description:
      - UID of a dashboard to fetch from Grafana at O(grafana_url).
    type: str
  variables:
    description:
      - Values that override the dashboard's variable selections. A value is a string or a list of
        strings (numbers are taken as their text); C($__all) selects "All". A dict or a boolean is refused.
    type: dict
    default: {}
  time_range:
    description:
      - How far back from now to query, as a duration such as V(15m). Defaults to the dashboard's own
        relative range (C(now-6h) gives 6h), or 1h when it has none.
    type: str
  scrape_interval:
    description:
      - The Prometheus datasource's scrape interval (Grafana's C(timeInterval)), the floor of
        C($__interval) and the base of C($__rate_interval).
    type: str
    default: 15s
  max_data_points:
    description:
      - Data points per series when a panel does not set C(maxDataPoints); Grafana uses the panel's width
        in pixels. At least V(1).
    type: int
    default: 1000
  required_panels:
    description:
      - Titles or ids of the panels that must have data. When set, only these fail the module for lacking
        data; the others are still reported. A rejected query fails the module in any panel.
    type: list
    elements: str
    default: []
  ignore_panels:
    description:
      - Titles or ids of panels not to check at all.
    type: list
    elements: str
    default: []
  require_all_targets:
    description:
      - A panel has data only when every one of its queries has data, rather than any one of them.
    type: bool
    default: false
  concurrency:
    description:
      - How many queries run at the same time. At least V(1).
    type: int
    default: 8
'''

EXAMPLES = r'''
- name: Every panel of the provisioned Infra Overview dashboard has data
  coinpilot.monitoring.grafana_dashboard_data:
    uid: coinpilot-infra-01
    grafana_username: admin
    grafana_password: "{{ grafana_admin_password }}"
    time_range: 15m
    wait_timeout: 120

- name: Check a dashboard file from the controller, for one host only
  coinpilot.monitoring.grafana_dashboard_data:
    dashboard: "{{ lookup('file', 'dashboards/infra-overview.json') }}"
    variables:
      instance: 172.18.0.1:9100
    required_panels:
      - CPU busy
      - Memory used
'''

RETURN = r'''
row:
  description: The report row of O(report_check), with C(check), C(ok) and C(detail). On success, C(detail) says how
    many panels have data, and how many have no query; on failure, it is the message.
  returned: with O(report_check)
  type: dict
  sample: {check: dashboard panels have data, ok: true, detail: "8 panels with data, 0 without a query"}
dashboard:
  description: Title and uid of the checked dashboard.
  returned: always
  type: dict
  sample: {title: Infra Overview, uid: coinpilot-infra-01}
panels:
  description:
    - One entry per checked panel (repeated panels once per value), with C(status) C(data), C(no_data),
      C(error) or C(skipped) and each query with the PromQL as actually sent.
  returned: always
  type: list
  elements: dict
  sample:
    - id: 2
      title: CPU busy
      raw_title: CPU busy
      type: timeseries
      row: Overview
      repeat: {}
      status: data
      targets:
        - ref_id: A
          expr: sum(rate(node_cpu_seconds_total{mode!="idle",instance=~"$instance"}[$__rate_interval]))
          query: sum(rate(node_cpu_seconds_total{mode!="idle",instance=~"(a|b)"}[1m]))
          instant: false
          step: 15
          status: data
          series: 1
          error: null
summary:
  description: How many panels have each status, and how many queries ran.
  returned: always
  type: dict
  sample: {data: 12, no_data: 1, error: 0, skipped: 2, queries: 31}
variables:
  description: The resolved selection of each variable (C(values) is what "All" stands for).
  returned: always
  type: dict
  sample: {instance: {value: $__all, values: ["a:9100", "b:9100"], all: true}}
failed_panels:
  description: Titles of the panels that failed the check.
  returned: always
  type: list
  elements: str
'''

import json
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import (
    ApiError, OptionError, new_module, require_at_least, require_items, run_guarded)
from ansible_collections.coinpilot.monitoring.plugins.module_utils._grafana import GrafanaClient
from ansible_collections.coinpilot.monitoring.plugins.module_utils._prometheus import PrometheusClient
from ansible_collections.coinpilot.monitoring.plugins.module_utils._dashboard import unwrap_dashboard
from ansible_collections.coinpilot.monitoring.plugins.module_utils._checks import check_dashboard_data, require_duration
from ansible_collections.coinpilot.monitoring.plugins.module_utils import _promql as pq


def load_dashboard(module, grafana):
    p = module.params
    if p['uid']:
        return grafana.dashboard(p['uid'], required=True)[0]
    if p['path']:
        try:
            with open(p['path'], 'r', encoding='utf-8') as handle:
                return unwrap_dashboard(json.load(handle))
        except (IOError, OSError) as exc:
            raise ApiError('Could not read the dashboard file %s: %s' % (p['path'], to_native(exc.strerror or exc)))
        except ValueError as exc:
            raise ApiError('The dashboard file %s is not valid JSON: %s' % (p['path'], to_native(exc)))
    dashboard = p['dashboard']
    if isinstance(dashboard, str):
        try:
            dashboard = json.loads(dashboard)
        except ValueError as exc:
            raise ApiError('Option dashboard is not valid JSON: %s' % to_native(exc))
    if not isinstance(dashboard, dict):
        raise ApiError('Option dashboard must be a dashboard object, got %s' % type(dashboard).__name__)
    return unwrap_dashboard(dashboard)


def _override(name, value):
    """A variable override as the checker takes it: a string or a list of strings."""
    def text(item):
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise OptionError('variables.%s' % name, 'a string or a list of strings', value)
        return item if isinstance(item, str) else ('%g' % item if isinstance(item, float) else str(item))
    if isinstance(value, list):
        return [text(item) for item in value]
    return text(value)


def validate(params):
    require_at_least(params, 'concurrency', 1)
    require_at_least(params, 'max_data_points', 1)
    params['variables'] = {name: _override(name, value) for name, value in params['variables'].items()}
    require_duration(params, 'scrape_interval')
    require_duration(params, 'time_range', required=False)
    require_items(params, 'required_panels', 'a panel title or id')
    require_items(params, 'ignore_panels', 'a panel title or id')


def run(module):
    p = module.params
    prometheus = PrometheusClient.from_module(module, pool_size=p['concurrency'])
    grafana = GrafanaClient.from_module(module, pool_size=2, prefix='grafana_')
    check_dashboard_data(
        prometheus, grafana, load_dashboard(module, grafana), pq.parse_duration(p['scrape_interval']),
        range_s=pq.parse_duration(p['time_range']) if p['time_range'] else None,
        max_data_points=p['max_data_points'], overrides=p['variables'], concurrency=p['concurrency'],
        require_all_targets=p['require_all_targets'], required_panels=p['required_panels'],
        ignore_panels=p['ignore_panels'], wait_timeout=p['wait_timeout']).finish(module)


def main():
    module = new_module(
        dict(
            dashboard=dict(type='raw'),
            path=dict(type='path'),
            uid=dict(type='str'),
            variables=dict(type='dict', default={}),
            time_range=dict(type='str'),
            scrape_interval=dict(type='str', default='15s'),
            max_data_points=dict(type='int', default=1000),
            required_panels=dict(type='list', elements='str', default=[]),
            ignore_panels=dict(type='list', elements='str', default=[]),
            require_all_targets=dict(type='bool', default=False),
            concurrency=dict(type='int', default=8),
        ),
        default_url='http://127.0.0.1:9090',
        mutually_exclusive=[('dashboard', 'path', 'uid')],
        grafana_second=True,
        required_one_of=[('dashboard', 'path', 'uid')],
        validate=validate,
    )
    run_guarded(module, run)


if __name__ == '__main__':
    main()
