#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: cadvisor_coverage
short_description: Prove that cAdvisor, through Prometheus, sees every running Docker container
version_added: 0.1.0
description:
  - Compares the containers that cAdvisor exports, as Prometheus stores them, with the containers that
    Docker really runs on the host.
  - The running containers come from O(containers) (for example the C(containers) result of
    M(community.docker.docker_host_info) with C(containers=true)), or else straight from the Docker
    Engine API at O(docker_host) (C(GET /containers/json)).
  - cAdvisor's series are read with one instant query,
    C(max by (id, name, image) (timestamp(<metric>{job="<job>"}) > time() - <max_age>)). Only series with a
    sample from the last O(max_age) seconds count, and of the label sets one cgroup C(id) has, only those with
    its newest sample. So a container that lost its name when the engine began refusing cAdvisor counts as
    unnamed at once, although its named series stay queryable for Prometheus' lookback.
    A container counts as seen when its full id appears in a series' C(id) label
    (C(/docker/<id>) under the cgroupfs driver, C(/system.slice/docker-<id>.scope) under systemd) or its
    name in a C(name) label.
  - Only samples from after Prometheus' start (C(startTime) of C(/api/v1/status/runtimeinfo)) count. Right after an
    engine restart, which restarts Prometheus too, the series it replays from before its start still carry the
    names, and cAdvisor stamps its own samples, so no staleness marker ends them; until the restarted cAdvisor has
    been scraped with its containers, those containers count as not seen.
  - 'Diagnoses known failure modes by name, each with its likely cause and fix: C(no_series) (Prometheus
    holds no cAdvisor series for the job), C(root_cgroup_only) (only C(id="/") is exported) and
    C(no_name_labels) (container series exist but without C(name)/C(image) labels: cAdvisor''s Docker
    factory failed, typically a Docker API version mismatch).'
  - For C(no_name_labels) it also names what the live system says, cAdvisor's own
    C(cadvisor_version_info) (its C(dockerVersion) is C(Unknown) when its Docker client is not connected)
    and the engine's C(GET /version) at O(docker_host) (C(ApiVersion), C(MinAPIVersion)).
author:
  - CoinPilot platform team (@coinpilot)
extends_documentation_fragment:
  - coinpilot.monitoring.attributes
  - coinpilot.monitoring.connection
  - coinpilot.monitoring.connection.prometheus
options:
  job:
    description:
      - The scrape job of cAdvisor.
    type: str
    default: cadvisor
  metric:
    description:
      - The cAdvisor metric whose series list the containers.
    type: str
    default: container_last_seen
  containers:
    description:
      - The running containers, each a dict with C(Id) and C(Names) as the Docker Engine API and
        M(community.docker.docker_host_info) return them (C(id) and C(name) are accepted too).
      - When omitted, the module asks the Docker engine at O(docker_host).
    type: list
    elements: dict
  docker_host:
    description:
      - The Docker engine to ask for running containers when O(containers) is not given.
    type: str
    default: unix:///var/run/docker.sock
  max_age:
    description:
      - Seconds within which a series must have a sample to count.
      - cAdvisor stamps its samples itself. After Prometheus restarts (an engine upgrade restarts every
        container), the series of a container that vanished or lost its name stay queryable for the 5-minute
        lookback, since no staleness marker is written for them; the newest sample's age tells them apart.
      - cAdvisor's dynamic housekeeping lets an idle container's sample age up to C(--max_housekeeping_interval)
        (60 s by default), so keep this above that.
    type: float
    default: 120
  ignore_containers:
    description:
      - Names of running containers that need not be seen (short-lived one-off containers, for example).
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: cAdvisor sees every container that Docker runs
  coinpilot.monitoring.cadvisor_coverage:
    wait_timeout: 60

- name: Same, from the containers community.docker reports
  block:
    - name: List the running containers
      community.docker.docker_host_info:
        containers: true
      register: __docker_host

    - name: Compare with cAdvisor
      coinpilot.monitoring.cadvisor_coverage:
        containers: "{{ __docker_host.containers }}"
        ignore_containers: [coinpilot-migrate]
'''

RETURN = r'''
row:
  description: The report row of O(report_check), with C(check), C(ok) and C(detail). On success, C(detail) says how
    many of the running containers cAdvisor exports; on failure, it is the message.
  returned: with O(report_check)
  type: dict
  sample: {check: cadvisor sees every container, ok: true, detail: "6/6 running containers seen"}
coverage:
  description: Containers seen by cAdvisor out of the running ones that count (ignored ones excluded).
  returned: always
  type: dict
  sample: {seen: 5, running: 6, text: 5/6}
running:
  description: Names of the running containers.
  returned: always
  type: list
  elements: str
seen:
  description: Names of the running containers that cAdvisor exports.
  returned: always
  type: list
  elements: str
missing:
  description: The running containers cAdvisor does not export.
  returned: always
  type: list
  elements: dict
  sample: [{name: coinpilot-core, id: 4c01db0b339c..., image: "coinpilot/core:1.4"}]
diagnoses:
  description: Each recognised failure mode, by name, with its likely cause and fix.
  returned: always
  type: list
  elements: dict
  sample:
    - name: no_name_labels
      cause: cAdvisor exports container cgroups without name and image labels...
      fix: Run a cAdvisor release whose Docker client supports the engine's API version...
series:
  description: How many distinct cAdvisor series (id, name, image) Prometheus holds for the job.
  returned: always
  type: int
evidence:
  description:
    - What the live system said, read only for C(no_name_labels). C(cadvisor) is cAdvisor's
      C(cadvisor_version_info) labels; C(engine) is the engine's C(GET /version) (empty when it could not be read).
  returned: when a no_name_labels diagnosis was made
  type: dict
  sample:
    cadvisor: {cadvisorVersion: 0.38.7, dockerVersion: Unknown}
    engine: {Version: 26.1.5, ApiVersion: '1.45', MinAPIVersion: '1.44'}
'''

import re

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import (
    OptionError, new_module, require_at_least, require_items, run_guarded)
from ansible_collections.coinpilot.monitoring.plugins.module_utils._prometheus import PrometheusClient
from ansible_collections.coinpilot.monitoring.plugins.module_utils._docker import check_docker_host
from ansible_collections.coinpilot.monitoring.plugins.module_utils._checks import check_cadvisor

_METRIC_RE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*$')


def validate(params):
    if not params['job'].strip():
        raise OptionError('job', 'a job name', params['job'])
    if not _METRIC_RE.match(params['metric']):
        raise OptionError('metric', 'a Prometheus metric name', params['metric'])
    if params['containers'] is None:
        check_docker_host(params['docker_host'])
    require_items(params, 'ignore_containers', 'a container name')
    require_at_least(params, 'max_age', 0, above=True)


def run(module):
    p = module.params
    client = PrometheusClient.from_module(module, pool_size=2)
    check_cadvisor(client, p['containers'], p['job'], p['metric'], p['max_age'], p['ignore_containers'],
                   p['docker_host'], p['timeout'], p['max_response_bytes'], p['wait_timeout']).finish(module)


def main():
    module = new_module(
        dict(
            job=dict(type='str', default='cadvisor'),
            metric=dict(type='str', default='container_last_seen'),
            containers=dict(type='list', elements='dict'),
            docker_host=dict(type='str', default='unix:///var/run/docker.sock'),
            ignore_containers=dict(type='list', elements='str', default=[]),
            max_age=dict(type='float', default=120.0),
        ),
        default_url='http://127.0.0.1:9090',
        validate=validate,
    )
    run_guarded(module, run)


if __name__ == '__main__':
    main()
