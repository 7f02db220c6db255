#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: prometheus_targets
short_description: Assert that Prometheus scrapes the expected jobs with enough healthy targets
version_added: 0.1.0
description:
  - Reads Prometheus' C(/api/v1/targets) once per poll and checks that each expected job has at least
    its minimum number of healthy targets.
  - It reads the targets API rather than the C(up) series, because C(up) can still show a stale series
    of a target that is gone.
  - On failure, the message names each missing job and each down target with Prometheus' C(lastError).
  - Optionally asserts that the last configuration reload succeeded
    (C(prometheus_config_last_reload_successful == 1)).
  - Point it at each host's own Prometheus, not at a long-term store, because a store fed by remote write
    (VictoriaMetrics, Mimir, Thanos Receive) has no targets for that data. Check the store with
    M(coinpilot.monitoring.prometheus_query) instead.
author:
  - CoinPilot platform team (@coinpilot)
extends_documentation_fragment:
  - coinpilot.monitoring.attributes
  - coinpilot.monitoring.connection
  - coinpilot.monitoring.connection.prometheus
options:
  jobs:
    description:
      - The jobs that must be scraped. A job is a target's C(job) label after relabelling.
      - 'Each element is a job name, or a dict with the keys C(name) (the job name, required) and
        C(min_healthy) (how many of its targets must be up; default V(1)). V(prometheus) is short for
        C({name: prometheus}).'
      - A job without any target fails even with C(min_healthy=0), since a job that is not scraped at all is
        the failure this module exists to catch.
    type: list
    elements: raw
    default: []
  fail_on_down:
    description:
      - Also fail when any target that is not part of O(jobs) is down.
    type: bool
    default: false
  check_reload:
    description:
      - Also assert that C(prometheus_config_last_reload_successful) is 1.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Prometheus scrapes the stack
  coinpilot.monitoring.prometheus_targets:
    jobs:
      - prometheus
      - node-exporter
      - cadvisor
      - name: coinpilot-core
        min_healthy: 2
    check_reload: true
    wait_timeout: 60

- name: Through a reverse proxy with basic auth
  coinpilot.monitoring.prometheus_targets:
    url: https://prometheus.example.com
    url_username: ops
    url_password: "{{ vault_prometheus_password }}"
    ca_path: /etc/ssl/certs/internal-ca.pem
    jobs:
      - name: node-exporter
'''

RETURN = r'''
row:
  description: The report row of O(report_check), with C(check), C(ok) and C(detail). On success, C(detail) says each
    job with its targets up, of all its targets; on failure, it is the message.
  returned: with O(report_check)
  type: dict
  sample: {check: targets up, ok: true, detail: "node-exporter 1/1, cadvisor 1/1, prometheus 1/1"}
targets:
  description:
    - Every active target. The keys map Prometheus' C(labels.job), C(labels.instance), C(health), C(lastError),
      C(lastScrape), C(lastScrapeDuration) and C(scrapeUrl).
  returned: success or when a check failed
  type: list
  elements: dict
  sample:
    - job: node-exporter
      instance: 172.18.0.1:9100
      health: up
      last_error: ""
      last_scrape: "2024-05-01T10:00:00.123Z"
      scrape_duration: 0.012
      scrape_url: http://172.18.0.1:9100/metrics
      scrape_pool: node-exporter
jobs:
  description: Per job, how many targets are up, down or unknown, and how many are required.
  returned: success or when a check failed
  type: dict
  sample:
    node-exporter: {up: 1, down: 0, unknown: 0, total: 1, min_healthy: 1}
problems:
  description: One line per failed expectation.
  returned: always
  type: list
  elements: str
  sample:
    - "job cadvisor: 0 of 1 targets up, 1 required; cadvisor:8080 is down: Get \"http://cadvisor:8080/metrics\": dial tcp: lookup cadvisor"
config_reload_successful:
  description: The value of C(prometheus_config_last_reload_successful), when O(check_reload=true).
  returned: when O(check_reload=true)
  type: bool
'''

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import new_module, run_guarded
from ansible_collections.coinpilot.monitoring.plugins.module_utils._prometheus import PrometheusClient
from ansible_collections.coinpilot.monitoring.plugins.module_utils._checks import check_targets, normalize_jobs


def validate(params):
    params['jobs'] = normalize_jobs(params['jobs'])


def run(module):
    p = module.params
    client = PrometheusClient.from_module(module, pool_size=2)
    check_targets(client, p['jobs'], p['fail_on_down'], p['check_reload'], p['wait_timeout']).finish(module)


def main():
    module = new_module(
        dict(
            jobs=dict(type='list', elements='raw', default=[]),
            fail_on_down=dict(type='bool', default=False),
            check_reload=dict(type='bool', default=False),
        ),
        default_url='http://127.0.0.1:9090',
        validate=validate,
    )
    run_guarded(module, run)


if __name__ == '__main__':
    main()
