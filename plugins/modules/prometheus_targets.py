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

from ansible.module_utils.common.validation import check_type_int

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import (
    OptionError, new_module, poll, run_guarded)
from ansible_collections.coinpilot.monitoring.plugins.module_utils._prometheus import PrometheusClient

_JOB_KEYS = ('name', 'min_healthy')


def normalize_jobs(jobs):
    """``[{'name', 'min_healthy'}]`` from the elements of option jobs, each a
    job name or a dict; raises OptionError naming the bad element."""
    out = []
    for index, item in enumerate(jobs or []):
        where = 'jobs[%d]' % index
        if isinstance(item, str):
            item = {'name': item}
        if not isinstance(item, dict):
            raise OptionError(where, 'a job name or a dict with name and min_healthy', item)
        if set(item) - set(_JOB_KEYS):
            raise OptionError(where, 'a dict with only the keys name and min_healthy', item)
        name = item.get('name')
        if not isinstance(name, str) or not name.strip():
            raise OptionError(where + '.name', 'a job name', name)
        if any(job['name'] == name for job in out):
            raise OptionError(where + '.name', 'a job not listed before', name)
        need = item.get('min_healthy', 1)
        try:
            if isinstance(need, bool):
                raise TypeError()
            need = check_type_int(need)
        except TypeError:
            raise OptionError(where + '.min_healthy', 'a whole number', need)
        if need < 0:
            raise OptionError(where + '.min_healthy', 'at least 0', need)
        out.append({'name': name, 'min_healthy': need})
    return out


def validate(params):
    params['jobs'] = normalize_jobs(params['jobs'])


def summarize_targets(active):
    targets = []
    for item in active or []:
        labels = item.get('labels') or {}
        targets.append({
            'job': labels.get('job') or item.get('scrapePool') or '',
            'instance': labels.get('instance') or '',
            'health': item.get('health') or 'unknown',
            'last_error': item.get('lastError') or '',
            'last_scrape': item.get('lastScrape') or '',
            'scrape_duration': item.get('lastScrapeDuration'),
            'scrape_url': item.get('scrapeUrl') or '',
            'scrape_pool': item.get('scrapePool') or '',
        })
    return targets


def evaluate(targets, expected, fail_on_down=False):
    """Compare targets with the expected jobs; returns (jobs summary, problems)."""
    jobs = {}
    for target in targets:
        entry = jobs.setdefault(target['job'], {'up': 0, 'down': 0, 'unknown': 0, 'total': 0})
        health = target['health'] if target['health'] in ('up', 'down') else 'unknown'
        entry[health] += 1
        entry['total'] += 1
    problems = []
    expected_names = set()
    for job in expected:
        name, need = job['name'], job.get('min_healthy', 1)
        expected_names.add(name)
        entry = jobs.setdefault(name, {'up': 0, 'down': 0, 'unknown': 0, 'total': 0})
        entry['min_healthy'] = need
        if entry['total'] == 0:
            problems.append('job %s: no targets (is it in the scrape configuration, and did the reload succeed?)' % name)
        elif entry['up'] < need:
            problems.append('job %s: %d of %d targets up, %d required; %s' % (
                name, entry['up'], entry['total'], need, _describe_unhealthy(targets, name)))
    if fail_on_down:
        for name in sorted(set(jobs) - expected_names):
            if jobs[name]['down']:
                problems.append('job %s: %s' % (name, _describe_unhealthy(targets, name)))
    return jobs, problems


def _describe_unhealthy(targets, job):
    parts = []
    for target in targets:
        if target['job'] == job and target['health'] != 'up':
            error = target['last_error'] or ('not scraped yet' if target['health'] == 'unknown' else 'no error text')
            parts.append('%s is %s: %s' % (target['instance'] or target['scrape_url'], target['health'], error))
    return '; '.join(parts)


def _as_float(text):
    try:
        return float(text)
    except ValueError:
        return None


def run(module):
    client = PrometheusClient.from_module(module, pool_size=2)
    params = module.params
    state = {}

    def check():
        targets = summarize_targets(client.targets().get('activeTargets'))
        jobs, problems = evaluate(targets, params['jobs'], params['fail_on_down'])
        state.update(targets=targets, jobs=jobs, problems=problems)
        if params['check_reload']:
            series = client.query_vector('prometheus_config_last_reload_successful', origin='check_reload')
            values = [str(s.get('value', [0, '0'])[1]) for s in series]
            ok = bool(values) and all(_as_float(v) == 1 for v in values)
            state['config_reload_successful'] = ok
            if not ok:
                problems.append('prometheus_config_last_reload_successful is %s, not 1: the last configuration '
                                'reload failed; see the Prometheus log, and check the file with promtool check config'
                                % ('absent' if not values else ', '.join(values)))
        return not problems, None

    ok, dummy = poll(check, params['wait_timeout'])
    result = dict(changed=False, targets=state['targets'], jobs=state['jobs'], problems=state['problems'])
    if 'config_reload_successful' in state:
        result['config_reload_successful'] = state['config_reload_successful']
    if not ok:
        module.fail_json(msg='Prometheus at %s: %s' % (client.base_url, '; '.join(state['problems'])), **result)
    module.row_detail = ', '.join('%s %d/%d' % (name, job['up'], job['total']) for name, job in state['jobs'].items())
    module.exit_json(**result)


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
