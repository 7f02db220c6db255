#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: stack_health
short_description: Run the runbook's t0 checks of a monitoring host in one call, one report row each
version_added: 0.2.0
description:
  - Runs, in this order, the checks that prove a host is observed, and returns one report row per check in
    RV(rows) instead of stopping at the first failure, so that one report names every problem at once.
  - C(containers running) asks the Docker engine at O(docker_host) which of O(containers) run.
  - C(targets up) is M(coinpilot.monitoring.prometheus_targets) with O(jobs) and C(check_reload=true).
  - C(grafana healthy) is M(coinpilot.monitoring.grafana_health) with O(datasource), O(dashboard) and
    C(require_provisioned=true), at O(grafana_url).
  - C(dashboard panels have data) is M(coinpilot.monitoring.grafana_dashboard_data) on O(dashboard) over
    O(time_range).
  - C(cadvisor sees every container) is M(coinpilot.monitoring.cadvisor_coverage) with the running containers
    read for C(containers running), only when O(jobs) names O(cadvisor_job).
  - Each check's row says the same as that module's RV(row) would. One call instead of five saves four module
    starts each time the host is verified.
  - A check that asks a service whose container does not run does not wait for it (a stopped container does
    not come back by waiting). When Prometheus cannot be reached, the checks that ask it are not run; their
    rows say so.
  - Fails when any row is not ok; RV(rows) is returned then too.
author:
  - CoinPilot platform team (@coinpilot)
extends_documentation_fragment:
  - coinpilot.monitoring.attributes
  - coinpilot.monitoring.connection
  - coinpilot.monitoring.connection.prometheus
  - coinpilot.monitoring.connection.grafana_second
options:
  containers:
    description:
      - Names of the containers that must run.
    type: list
    elements: str
    default: []
  prometheus_container:
    description:
      - The container of Prometheus, of O(containers). When it does not run, C(targets up) checks once.
    type: str
  grafana_container:
    description:
      - The container of Grafana, of O(containers). When it does not run, C(grafana healthy) checks once.
    type: str
  docker_host:
    description:
      - The Docker engine to ask for the running containers.
    type: str
    default: unix:///var/run/docker.sock
  jobs:
    description:
      - The jobs that must be scraped, as O(coinpilot.monitoring.prometheus_targets#module:jobs) takes them.
    type: list
    elements: raw
    default: []
  cadvisor_job:
    description:
      - The scrape job of cAdvisor. C(cadvisor sees every container) runs when O(jobs) names it.
    type: str
    default: cadvisor
  datasource:
    description:
      - UID of the Prometheus datasource that must exist in Grafana and pass its health check.
    type: str
    required: true
  dashboard:
    description:
      - UID of the dashboard that must be provisioned, and whose every panel must have data.
    type: str
    required: true
  time_range:
    description:
      - How far back from now the panels' queries ask, as a duration such as V(15m).
    type: str
    default: 15m
  scrape_interval:
    description:
      - The Prometheus datasource's scrape interval, the floor of the panels' C($__interval).
    type: str
    default: 15s
'''

EXAMPLES = r'''
- name: The t0 checks
  coinpilot.monitoring.stack_health:
    containers: [node-exporter, cadvisor, prometheus, grafana]
    prometheus_container: prometheus
    grafana_container: grafana
    jobs: [prometheus, node-exporter, cadvisor]
    datasource: prometheus
    dashboard: coinpilot-infra-01
    grafana_username: admin
    grafana_password: "{{ grafana_admin_password }}"
    wait_timeout: 90
  register: t0
  ignore_errors: true

- name: Show the rows
  ansible.builtin.debug:
    msg: "{{ t0.rows }}"
'''

RETURN = r'''
row:
  description: The one row of O(report_check) for all the checks, for a report that wants one. C(ok) is whether every
    check passed; C(detail) says how many ran, or is the message.
  returned: with O(report_check)
  type: dict
  sample: {check: t0, ok: true, detail: "5 checks passed"}
rows:
  description: One report row per check, in the order run, each with C(check), C(ok) and C(detail). C(detail) says
    what the check found, or why it failed.
  returned: always
  type: list
  elements: dict
  sample:
    - {check: containers running, ok: true, detail: "node-exporter, cadvisor, prometheus, grafana"}
    - {check: targets up, ok: true, detail: "prometheus 1/1, node-exporter 1/1, cadvisor 1/1"}
prometheus_answers:
  description: Whether Prometheus could be reached. When it could not, the checks that ask it were not run.
  returned: always
  type: bool
results:
  description:
    - What each check that ran found, under C(targets), C(grafana), C(dashboard) and C(cadvisor), with the keys that
      M(coinpilot.monitoring.prometheus_targets), M(coinpilot.monitoring.grafana_health),
      M(coinpilot.monitoring.grafana_dashboard_data) and M(coinpilot.monitoring.cadvisor_coverage) return.
  returned: always
  type: dict
running:
  description: Names of the running containers.
  returned: when the engine answered
  type: list
  elements: str
'''

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import (
    ApiError, new_module, one_line, require_items, run_guarded)
from ansible_collections.coinpilot.monitoring.plugins.module_utils._prometheus import PrometheusClient
from ansible_collections.coinpilot.monitoring.plugins.module_utils._grafana import GrafanaClient
from ansible_collections.coinpilot.monitoring.plugins.module_utils._docker import check_docker_host, running_containers
from ansible_collections.coinpilot.monitoring.plugins.module_utils._checks import (
    check_cadvisor, check_dashboard_data, check_grafana, check_targets, normalize_containers, normalize_jobs,
    require_duration)
from ansible_collections.coinpilot.monitoring.plugins.module_utils import _promql as pq

# Each check asks a service with a bounded pool; the panels' queries run this
# many at a time, as grafana_dashboard_data's default.
_CONCURRENCY = 8
_NOT_ASKED = 'not checked: Prometheus does not answer (see targets up)'


def validate(params):
    require_items(params, 'containers', 'a container name')
    check_docker_host(params['docker_host'])
    params['jobs'] = normalize_jobs(params['jobs'])
    require_duration(params, 'time_range')
    require_duration(params, 'scrape_interval')


def _unreachable(exc):
    """Prometheus did not answer at all: the root cause of every check that asks it."""
    return exc.message.startswith('Could not reach Prometheus')


class Report:
    """The rows, and what each check found."""

    def __init__(self):
        self.rows = []
        self.results = {}

    def add(self, check, key, ask):
        """Run ``ask()`` (an Outcome, or ApiError) as row ``check``; returns the ApiError, if any."""
        try:
            outcome = ask()
        except ApiError as exc:
            self.row(check, False, exc.message)
            return exc
        self.results[key] = outcome.result
        self.row(check, outcome.ok, outcome.detail if outcome.ok else outcome.msg)
        return None

    def row(self, check, ok, detail):
        self.rows.append({'check': check, 'ok': ok, 'detail': one_line(detail)})


def run(module):
    p = module.params
    wait = p['wait_timeout']
    report = Report()
    result = {}

    # Read once: the cAdvisor check compares its series with these too.
    listed = []
    try:
        listed = running_containers(p['docker_host'], p['timeout'], p['max_response_bytes'])
        running = [c['name'] for c in normalize_containers(listed)]
        result['running'] = running
        down = [name for name in p['containers'] if name not in running]
        report.row('containers running', not down,
                   ('not running: ' + ', '.join(down)) if down else ', '.join(p['containers']))
    except ApiError as exc:
        # Nothing is known to run: no check waits for a service.
        down = list(p['containers'])
        report.row('containers running', False, exc.message)

    prometheus = PrometheusClient.from_module(module, pool_size=_CONCURRENCY)
    grafana = GrafanaClient.from_module(module, pool_size=2, prefix='grafana_')

    error = report.add('targets up', 'targets', lambda: check_targets(
        prometheus, p['jobs'], check_reload=True, wait_timeout=0 if p['prometheus_container'] in down else wait))
    prometheus_answers = error is None or not _unreachable(error)

    # Its datasource check asks Prometheus through Grafana.
    report.add('grafana healthy', 'grafana', lambda: check_grafana(
        grafana, [p['datasource']], [p['dashboard']], require_provisioned=True,
        wait_timeout=0 if p['grafana_container'] in down or not prometheus_answers else wait))

    checks = [('dashboard panels have data', 'dashboard', lambda: check_dashboard_data(
        prometheus, grafana, grafana.dashboard(p['dashboard'], required=True)[0],
        pq.parse_duration(p['scrape_interval']), range_s=pq.parse_duration(p['time_range']),
        concurrency=_CONCURRENCY, wait_timeout=wait))]
    if p['cadvisor_job'] in [job['name'] for job in p['jobs']]:
        checks.append(('cadvisor sees every container', 'cadvisor', lambda: check_cadvisor(
            prometheus, listed, p['cadvisor_job'], docker_host=p['docker_host'], timeout=p['timeout'],
            max_bytes=p['max_response_bytes'], wait_timeout=wait)))
    for check, key, ask in checks:
        if prometheus_answers:
            report.add(check, key, ask)
        else:
            report.row(check, False, _NOT_ASKED)

    result.update(changed=False, rows=report.rows, results=report.results, prometheus_answers=prometheus_answers)
    failed = [row for row in report.rows if not row['ok']]
    if failed:
        module.fail_json(msg='The t0 checks failed: %s' % ' | '.join('%s: %s' % (row['check'], row['detail'])
                                                                     for row in failed), **result)
    module.row_detail = '%d checks passed' % len(report.rows)
    module.exit_json(**result)


def main():
    module = new_module(
        dict(
            containers=dict(type='list', elements='str', default=[]),
            prometheus_container=dict(type='str'),
            grafana_container=dict(type='str'),
            docker_host=dict(type='str', default='unix:///var/run/docker.sock'),
            jobs=dict(type='list', elements='raw', default=[]),
            cadvisor_job=dict(type='str', default='cadvisor'),
            datasource=dict(type='str', required=True),
            dashboard=dict(type='str', required=True),
            time_range=dict(type='str', default='15m'),
            scrape_interval=dict(type='str', default='15s'),
        ),
        default_url='http://127.0.0.1:9090',
        grafana_second=True,
        validate=validate,
    )
    run_guarded(module, run)


if __name__ == '__main__':
    main()
