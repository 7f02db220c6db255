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
    ApiError, OptionError, new_module, poll, require_at_least, require_items, run_guarded)
from ansible_collections.coinpilot.monitoring.plugins.module_utils._prometheus import PrometheusClient
from ansible_collections.coinpilot.monitoring.plugins.module_utils._docker import check_docker_host, get_json, running_containers

_FULL_ID_RE = re.compile(r'(?<![0-9a-f])([0-9a-f]{64})(?![0-9a-f])')

DIAGNOSES = {
    'no_series': (
        'Prometheus holds no {metric} series for job "{job}": cAdvisor is not scraped under that job name, '
        'its target is down, or it has not been scraped yet.',
        'Check the job with coinpilot.monitoring.prometheus_targets (and its lastError), and that the job '
        'name in the scrape configuration is "{job}".'),
    'root_cgroup_only': (
        'cAdvisor exports only the root cgroup (id="/"): it cannot see the containers\' cgroups, typically '
        'because the host\'s /sys/fs/cgroup, /var/lib/docker or /var/run are not mounted into it, or it '
        'runs in a private cgroup namespace.',
        'Run cAdvisor with read-only mounts of / at /rootfs, /var/run, /sys and /var/lib/docker, with '
        'cgroupns "host", and check its log for errors about cgroups.'),
    'no_name_labels': (
        'cAdvisor exports container cgroups without name and image labels: its Docker container factory '
        'failed to register, so it sees the containers as raw cgroups. The usual cause is a Docker API '
        'version mismatch (the engine rejects the API version cAdvisor\'s client asks for); a missing '
        '/var/run/docker.sock mount is the other.',
        'Read cAdvisor\'s log for "Registration of the docker container factory failed"; run a cAdvisor '
        'release whose Docker client supports the engine\'s API version (docker version shows it), and '
        'mount /var/run (or /var/run/docker.sock) read-only.'),
}


def normalize_containers(items):
    """``[{'id', 'name', 'image'}]`` of running containers from Engine API
    or docker_host_info dicts."""
    out = []
    for item in items or []:
        if not isinstance(item, dict):
            continue
        state = item.get('State')
        status = item.get('Status')
        if isinstance(state, str) and state and state != 'running':
            continue
        if state is None and isinstance(status, str) and status and not status.startswith('Up'):
            continue
        names = item.get('Names') or ([item['name']] if item.get('name') else []) or \
            ([item['Name']] if item.get('Name') else [])
        name = (names[0] if names else '').lstrip('/')
        out.append({'id': item.get('Id') or item.get('id') or '', 'name': name,
                    'image': item.get('Image') or item.get('image') or ''})
    return out


def newest_per_id(results, since=None):
    """The label sets of each cgroup id that carry its newest sample, of those
    with a sample at or after ``since`` (Prometheus' start; None: all).

    ``results`` are vector samples whose value is that label set's newest
    sample time. An engine restart leaves a container's old named series
    beside its new unnamed one; only the newer tells the present. Before the
    restarted cAdvisor has been scraped with its containers there is no newer
    one, and the old one, replayed from before Prometheus' start, is left out.
    """
    newest = {}
    for sample in results:
        labels = sample.get('metric') or {}
        try:
            when = float(sample['value'][1])
        except (KeyError, IndexError, TypeError, ValueError):
            when = 0.0
        if since is not None and when < since:
            continue
        newest.setdefault(labels.get('id') or '', []).append((when, labels))
    out = []
    for entries in newest.values():
        top = max(when for when, dummy in entries)
        out.extend(labels for when, labels in entries if when == top)
    return out


def analyze(series, containers, ignore=(), job='cadvisor', metric='container_last_seen'):
    """Compare cAdvisor's series labels with the running containers."""
    ids = set()
    names = set()
    docker_ids_without_name = 0
    docker_ids = 0
    for labels in series:
        cid = labels.get('id') or ''
        ids.add(cid)
        if labels.get('name'):
            names.add(labels['name'])
        match = _FULL_ID_RE.search(cid)
        if match:
            docker_ids += 1
            if not labels.get('name'):
                docker_ids_without_name += 1
    exported_ids = {m.group(1) for m in (_FULL_ID_RE.search(i) for i in ids) if m}

    counted = [c for c in containers if c['name'] not in set(ignore)]
    seen, missing = [], []
    for container in counted:
        if container['id'] in exported_ids or (container['name'] and container['name'] in names):
            seen.append(container['name'])
        else:
            missing.append(container)

    diagnoses = []
    if not series:
        diagnoses.append('no_series')
    elif ids == {'/'}:
        diagnoses.append('root_cgroup_only')
    elif docker_ids and docker_ids_without_name == docker_ids:
        diagnoses.append('no_name_labels')
    return {
        'coverage': {'seen': len(seen), 'running': len(counted), 'text': '%d/%d' % (len(seen), len(counted))},
        'running': [c['name'] for c in containers],
        'seen': seen,
        'missing': missing,
        'diagnoses': [{'name': d, 'cause': DIAGNOSES[d][0].format(job=job, metric=metric),
                       'fix': DIAGNOSES[d][1].format(job=job, metric=metric)} for d in diagnoses],
        'series': len(series),
    }


def describe_evidence(cadvisor, engine):
    """One sentence of what cAdvisor and the engine say about their link."""
    parts = []
    if cadvisor:
        parts.append('cAdvisor %s reports cadvisor_version_info{dockerVersion="%s"}%s'
                     % (cadvisor.get('cadvisorVersion') or '(version unknown)', cadvisor.get('dockerVersion', ''),
                        ' (its Docker client is not connected)' if cadvisor.get('dockerVersion') == 'Unknown' else ''))
    if engine:
        parts.append('the engine, Docker %s, serves API %s to %s (MinAPIVersion %s)'
                     % (engine.get('Version', '?'), engine.get('MinAPIVersion', '?'), engine.get('ApiVersion', '?'),
                        engine.get('MinAPIVersion', '?')))
    return '; '.join(parts)


def read_evidence(client, job, docker_host, timeout, max_bytes):
    """cAdvisor's own version info through Prometheus, and the engine's
    /version. Either may be missing; the diagnosis stands without them."""
    cadvisor, engine = {}, {}
    try:
        # The newest: after a restart of Prometheus the old series lingers.
        results = client.query_vector('topk(1, timestamp(cadvisor_version_info{job="%s"}))' % _label_value(job),
                                      origin='cadvisor_coverage')
        if results:
            labels = results[0].get('metric') or {}
            cadvisor = {k: labels[k] for k in ('cadvisorVersion', 'dockerVersion') if k in labels}
    except ApiError:
        pass
    try:
        version = get_json(docker_host, '/version', timeout, max_bytes)
        if isinstance(version, dict):
            engine = {k: str(version[k]) for k in ('Version', 'ApiVersion', 'MinAPIVersion') if k in version}
    except ApiError:
        pass
    return {'cadvisor': cadvisor, 'engine': engine}


def _label_value(text):
    return text.replace('\\', '\\\\').replace('"', '\\"')


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
    query = 'max by (id, name, image) (timestamp(%s{job="%s"}) > time() - %s)' % (
        p['metric'], _label_value(p['job']), repr(float(p['max_age'])))
    state = {}

    def check():
        if p['containers'] is not None:
            containers = normalize_containers(p['containers'])
        else:
            containers = normalize_containers(running_containers(p['docker_host'], p['timeout'],
                                                                 p['max_response_bytes']))
        # Prometheus' start time is read on each try: one restarted during the
        # wait holds its old series again.
        series = newest_per_id(client.query_vector(query, origin='cadvisor_coverage'), since=client.start_time())
        state.update(analyze(series, containers, p['ignore_containers'], p['job'], p['metric']))
        return not state['missing'] and not state['diagnoses'], None

    ok, dummy = poll(check, p['wait_timeout'])
    result = dict(changed=False, **state)
    if not ok:
        evidence = ''
        if 'no_name_labels' in [d['name'] for d in state['diagnoses']]:
            result['evidence'] = read_evidence(client, p['job'], p['docker_host'], p['timeout'], p['max_response_bytes'])
            evidence = describe_evidence(**result['evidence'])
        parts = ['cAdvisor (job %s) sees %s running containers' % (p['job'], state['coverage']['text'])]
        if state['missing']:
            parts.append('missing: %s' % ', '.join(c['name'] or c['id'][:12] for c in state['missing']))
        for diagnosis in state['diagnoses']:
            said = (evidence + '. ') if evidence and diagnosis['name'] == 'no_name_labels' else ''
            parts.append('diagnosis %s: %s%s Fix: %s' % (diagnosis['name'], said, diagnosis['cause'], diagnosis['fix']))
        module.fail_json(msg='; '.join(parts), **result)
    module.row_detail = '%s running containers seen' % state['coverage']['text']
    module.exit_json(**result)


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
