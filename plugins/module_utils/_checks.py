# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The runbook's t0 checks, each one function over its clients.

Private to this collection. The single-check modules (prometheus_targets,
grafana_health, grafana_dashboard_data, cadvisor_coverage) and stack_health,
which runs them all in one call, share this code, so a check says the same
thing whichever module ran it.

Each check waits up to its ``wait_timeout`` and returns an Outcome; one that
cannot be asked at all raises ApiError.
"""

import re

from ansible.module_utils.common.validation import check_type_int

from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import (
    DEFAULT_MAX_RESPONSE_BYTES, ApiError, OptionError, poll)
from ansible_collections.coinpilot.monitoring.plugins.module_utils._grafana import uid_path
from ansible_collections.coinpilot.monitoring.plugins.module_utils._dashboard import DashboardChecker
from ansible_collections.coinpilot.monitoring.plugins.module_utils._docker import get_json, running_containers
from ansible_collections.coinpilot.monitoring.plugins.module_utils import _promql as pq


class Outcome:
    """What one check found: ``result`` (its keys of the module result),
    ``msg`` (the failure, None when it passed) and ``detail`` (the line of its
    report row when it passed)."""

    def __init__(self, result, msg=None, detail=''):
        self.result = result
        self.msg = msg
        self.detail = detail

    @property
    def ok(self):
        return self.msg is None

    def finish(self, module):
        """End a single-check module with this outcome, and its report row."""
        if not self.ok:
            module.fail_json(msg=self.msg, changed=False, **self.result)
        module.row_detail = self.detail
        module.exit_json(changed=False, **self.result)


# -- targets up -------------------------------------------------------------------

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


def evaluate_targets(targets, expected, fail_on_down=False):
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


def check_targets(client, jobs, fail_on_down=False, check_reload=False, wait_timeout=0.0):
    """Targets up: ``jobs`` as normalize_jobs returns them."""
    state = {}

    def check():
        targets = summarize_targets(client.targets().get('activeTargets'))
        summary, problems = evaluate_targets(targets, jobs, fail_on_down)
        state.update(targets=targets, jobs=summary, problems=problems)
        if check_reload:
            series = client.query_vector('prometheus_config_last_reload_successful', origin='check_reload')
            values = [str(s.get('value', [0, '0'])[1]) for s in series]
            ok = bool(values) and all(_as_float(v) == 1 for v in values)
            state['config_reload_successful'] = ok
            if not ok:
                problems.append('prometheus_config_last_reload_successful is %s, not 1: the last configuration '
                                'reload failed; see the Prometheus log, and check the file with promtool check config'
                                % ('absent' if not values else ', '.join(values)))
        return not problems, None

    ok, dummy = poll(check, wait_timeout)
    if not ok:
        return Outcome(state, 'Prometheus at %s: %s' % (client.base_url, '; '.join(state['problems'])))
    return Outcome(state, detail=', '.join('%s %d/%d' % (name, job['up'], job['total'])
                                           for name, job in state['jobs'].items()))


# -- grafana healthy --------------------------------------------------------------

def _grafana_database(client):
    status, body = client.health()
    problems = []
    if body.get('database') != 'ok':
        problems.append('Grafana at %s reports database %s (HTTP %d): check the database settings and the Grafana log'
                        % (client.endpoint('/api/health'), body.get('database') or 'state unknown', status))
    return body, problems


def _grafana_datasource(client, uid):
    path = uid_path('/api/datasources/uid/', uid)
    body = client.datasource(uid)
    entry = {'uid': uid, 'found': body is not None}
    if body is None:
        return entry, ['datasource %s: not found at %s (is it provisioned, with this uid?)'
                       % (uid, client.endpoint(path))]
    entry.update(name=body.get('name'), type=body.get('type'))
    status, body = client.datasource_health(uid)
    entry.update(status=body.get('status') or 'UNKNOWN', message=body.get('message') or '')
    if entry['status'] != 'OK':
        return entry, ['datasource %s (%s): health check at %s/health says %s (HTTP %d): %s'
                       % (uid, entry['name'], client.endpoint(path), entry['status'], status,
                          entry['message'] or 'no message')]
    return entry, []


def _grafana_dashboard(client, uid, require_provisioned):
    found = client.dashboard(uid)
    entry = {'uid': uid, 'found': found is not None}
    if found is None:
        return entry, ['dashboard %s: not found at %s' % (uid, client.endpoint(uid_path('/api/dashboards/uid/', uid)))]
    model, meta = found
    entry.update(title=model.get('title'), provisioned=bool(meta.get('provisioned')))
    if require_provisioned and not entry['provisioned']:
        return entry, ['dashboard %s (%s): exists but is not provisioned (meta.provisioned is false): it was '
                       'created or saved by hand; check the dashboard provider configuration' % (uid, entry['title'])]
    return entry, []


def check_grafana(client, datasources=(), dashboards=(), require_provisioned=False, wait_timeout=0.0):
    """Grafana healthy: its database, each datasource's own health check, each dashboard."""
    state = {}

    def check():
        health, problems = _grafana_database(client)
        found_datasources, found_dashboards = [], []
        for uid in datasources:
            entry, more = _grafana_datasource(client, uid)
            found_datasources.append(entry)
            problems.extend(more)
        for uid in dashboards:
            entry, more = _grafana_dashboard(client, uid, require_provisioned)
            found_dashboards.append(entry)
            problems.extend(more)
        state.update(health=health, datasources=found_datasources, dashboards=found_dashboards, problems=problems)
        return not problems, None

    ok, dummy = poll(check, wait_timeout)
    if not ok:
        return Outcome(state, 'Grafana at %s: %s' % (client.base_url, '; '.join(state['problems'])))
    return Outcome(state, detail=', '.join(
        ['Grafana %s' % (state['health'] or {}).get('version', '')]
        + (['datasource %s OK' % ', '.join(datasources)] if datasources else [])
        + (['dashboard %s %s' % (', '.join(dashboards), 'provisioned' if require_provisioned else 'found')]
           if dashboards else [])))


# -- dashboard panels have data ---------------------------------------------------

def require_duration(params, name, required=True):
    """Option ``name`` is a duration longer than 0 (or, when not ``required``, empty)."""
    try:
        seconds = pq.parse_duration(params[name])
    except ValueError:
        seconds = -1
    if (seconds is None and required) or (seconds is not None and seconds <= 0):
        raise OptionError(name, 'a duration longer than 0, such as 15s, 5m or 1h', params[name])


def library_fetcher(grafana):
    cache = {}

    def fetch(uid):
        if uid not in cache:
            # An unreachable Grafana must not hide the panels that can be
            # checked: the library panel is reported as skipped, with why.
            try:
                model = grafana.library_element(uid)
            except ApiError as exc:
                cache[uid] = (None, exc.message)
                return cache[uid]
            if model is None:
                cache[uid] = (None, 'Grafana at %s has no library element with this uid'
                              % grafana.endpoint(uid_path('/api/library-elements/', uid)))
            else:
                cache[uid] = (model, None)
        return cache[uid]
    return fetch


def _matches(report, names):
    keys = {report['title'], report['raw_title'], str(report['id'])}
    return bool(keys & names)


def _describe_panel(report):
    parts = []
    for target in report['targets']:
        if report['status'] == 'error' and target['status'] == 'error':
            parts.append(target['error'])
        elif report['status'] == 'no_data' or target['status'] == 'no_data':
            parts.append('query %s sent: %s' % (target['ref_id'] or '?', target['query']))
    label = "panel '%s' (id %s)" % (report['title'], report['id'])
    verdict = 'has no data' if report['status'] == 'no_data' else 'failed'
    return '%s %s: %s' % (label, verdict, '; '.join(parts))


def evaluate_panels(reports, required, ignored):
    required, ignored = set(required), set(ignored)
    kept = [r for r in reports if not _matches(r, ignored)]
    failed = []
    for report in kept:
        if report['status'] == 'error':
            failed.append(report)
        elif report['status'] == 'no_data' and (not required or _matches(report, required)):
            failed.append(report)
    missing = sorted(n for n in required if not any(_matches(r, {n}) for r in kept))
    return kept, failed, missing


def check_dashboard_data(prometheus, grafana, dashboard, scrape_interval_s, range_s=None, max_data_points=1000,
                         overrides=None, concurrency=8, require_all_targets=False, required_panels=(),
                         ignore_panels=(), wait_timeout=0.0):
    """Dashboard panels have data: every panel of the ``dashboard`` model
    asked of ``prometheus``; ``grafana`` serves its library panels."""
    checker = DashboardChecker(prometheus, dashboard, range_s=range_s, scrape_interval_s=scrape_interval_s,
                               max_data_points=max_data_points, overrides=overrides or {},
                               concurrency=concurrency, library_fetch=library_fetcher(grafana))
    state = {}

    def check():
        reports, queries = checker.check(require_all_targets)
        kept, failed, missing = evaluate_panels(reports, required_panels, ignore_panels)
        state.update(reports=kept, failed=failed, missing=missing, queries=queries)
        return not failed and not missing and not checker.variable_errors, None

    ok, dummy = poll(check, wait_timeout, first_delay=1.0)
    reports = state['reports']
    summary = {'data': 0, 'no_data': 0, 'error': 0, 'skipped': 0, 'queries': state['queries']}
    for report in reports:
        summary[report['status']] += 1
    title = checker.dashboard.get('title') or ''
    result = dict(
        dashboard={'title': title, 'uid': checker.dashboard.get('uid')},
        panels=reports, summary=summary,
        variables={name: var.summary() for name, var in checker.variables.items()},
        failed_panels=[r['title'] for r in state['failed']],
    )
    if not ok:
        problems = [e.message for e in checker.variable_errors]
        if state['failed']:
            checked = len([r for r in reports if r['status'] != 'skipped'])
            problems.append('%d of %d panels failed: %s' % (len(state['failed']), checked,
                                                            ' | '.join(_describe_panel(r) for r in state['failed'])))
        if state['missing']:
            problems.append('required panels not found: %s' % ', '.join(state['missing']))
        return Outcome(result, "Dashboard '%s' against Prometheus at %s: %s"
                       % (title, prometheus.base_url, ' | '.join(problems)))
    return Outcome(result, detail='%d panels with data, %d without a query' % (summary['data'], summary['skipped']))


# -- cadvisor sees every container ------------------------------------------------

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
        results = client.query_vector('topk(1, timestamp(cadvisor_version_info{job="%s"}))' % label_value(job),
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


def label_value(text):
    return text.replace('\\', '\\\\').replace('"', '\\"')


def check_cadvisor(client, containers=None, job='cadvisor', metric='container_last_seen', max_age=120.0,
                   ignore_containers=(), docker_host='unix:///var/run/docker.sock', timeout=10.0,
                   max_bytes=DEFAULT_MAX_RESPONSE_BYTES,
                   wait_timeout=0.0):
    """cAdvisor sees every running container: ``containers`` as the Engine
    API lists them, or None to ask the engine at ``docker_host`` on each try."""
    query = 'max by (id, name, image) (timestamp(%s{job="%s"}) > time() - %s)' % (
        metric, label_value(job), repr(float(max_age)))
    state = {}

    def check():
        if containers is not None:
            running = normalize_containers(containers)
        else:
            running = normalize_containers(running_containers(docker_host, timeout, max_bytes))
        # Prometheus' start time is read on each try: one restarted during the
        # wait holds its old series again.
        series = newest_per_id(client.query_vector(query, origin='cadvisor_coverage'), since=client.start_time())
        state.update(analyze(series, running, ignore_containers, job, metric))
        return not state['missing'] and not state['diagnoses'], None

    ok, dummy = poll(check, wait_timeout)
    if ok:
        return Outcome(state, detail='%s running containers seen' % state['coverage']['text'])
    evidence = ''
    if 'no_name_labels' in [d['name'] for d in state['diagnoses']]:
        state['evidence'] = read_evidence(client, job, docker_host, timeout, max_bytes)
        evidence = describe_evidence(**state['evidence'])
    parts = ['cAdvisor (job %s) sees %s running containers' % (job, state['coverage']['text'])]
    if state['missing']:
        parts.append('missing: %s' % ', '.join(c['name'] or c['id'][:12] for c in state['missing']))
    for diagnosis in state['diagnoses']:
        said = (evidence + '. ') if evidence and diagnosis['name'] == 'no_name_labels' else ''
        parts.append('diagnosis %s: %s%s Fix: %s' % (diagnosis['name'], said, diagnosis['cause'], diagnosis['fix']))
    return Outcome(state, '; '.join(parts))
