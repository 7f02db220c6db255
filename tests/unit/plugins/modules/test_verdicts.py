# -*- coding: utf-8 -*-
"""The modules' verdicts as pure functions: target diffing, query
expectations, cAdvisor coverage and its diagnoses."""

import pytest

from ansible_collections.coinpilot.monitoring.plugins.module_utils import _checks as checks
from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import OptionError
from ansible_collections.coinpilot.monitoring.plugins.modules import prometheus_query as pq_mod


def target(job, instance, health='up', error=''):
    return {'labels': {'job': job, 'instance': instance}, 'scrapePool': job, 'scrapeUrl': 'http://%s/metrics' % instance,
            'health': health, 'lastError': error, 'lastScrape': '2024-05-01T10:00:00Z', 'lastScrapeDuration': 0.01}


ACTIVE = [target('node', 'a:9100'), target('node', 'b:9100', 'down', 'connection refused'),
          target('cadvisor', 'c:8080', 'unknown'), target('app', 'd:80', 'down', 'context deadline exceeded')]


@pytest.mark.parametrize('expected, fail_on_down, problems', [
    ([{'name': 'node', 'min_healthy': 1}], False, []),
    ([{'name': 'node', 'min_healthy': 2}], False,
     ['job node: 1 of 2 targets up, 2 required; b:9100 is down: connection refused']),
    ([{'name': 'cadvisor', 'min_healthy': 1}], False,
     ['job cadvisor: 0 of 1 targets up, 1 required; c:8080 is unknown: not scraped yet']),
    ([{'name': 'gone', 'min_healthy': 1}], False,
     ['job gone: no targets (is it in the scrape configuration, and did the reload succeed?)']),
    ([{'name': 'gone', 'min_healthy': 0}], False,
     ['job gone: no targets (is it in the scrape configuration, and did the reload succeed?)']),
    ([{'name': 'node', 'min_healthy': 1}], True, ['job app: d:80 is down: context deadline exceeded']),
    ([], False, []),
])
def test_target_verdicts(expected, fail_on_down, problems):
    jobs, got = checks.evaluate_targets(checks.summarize_targets(ACTIVE), expected, fail_on_down)
    assert got == problems
    assert jobs['node']['up'] == 1 and jobs['node']['down'] == 1


def test_summarize_targets_keys():
    assert checks.summarize_targets([target('node', 'a:9100')]) == [{
        'job': 'node', 'instance': 'a:9100', 'health': 'up', 'last_error': '', 'last_scrape': '2024-05-01T10:00:00Z',
        'scrape_duration': 0.01, 'scrape_url': 'http://a:9100/metrics', 'scrape_pool': 'node'}]


def series(*values):
    return [{'metric': {'i': str(n)}, 'value': [1, v]} for n, v in enumerate(values)]


@pytest.mark.parametrize('result, expect, kwargs, verdict', [
    (series('1'), 'non_empty', {}, None),
    ([], 'non_empty', {}, 'expected data, the result is empty (no series match, or they went stale)'),
    ([], 'empty', {}, None),
    (series('1', '2'), 'empty', {}, 'expected no series, got 2: {i="0"} 1, {i="1"} 2'),
    (series('1', '2'), 'min_series', {'min_series': 2}, None),
    (series('1'), 'min_series', {'min_series': 2}, 'expected at least 2 series, got 1'),
    (series('1', '0.5'), 'in_range', {'min_value': 0.5, 'max_value': 1}, None),
    (series('1', '3'), 'in_range', {'max_value': 2}, 'expected every value within [-inf, 2]; out of range: {i="1"} = 3'),
    (series('NaN'), 'in_range', {'min_value': 0}, 'expected every value within [0, +inf]; out of range: {i="0"} = NaN'),
    ([], 'in_range', {'min_value': 0}, 'expected data, the result is empty (no series match, or they went stale)'),
])
def test_query_verdicts(result, expect, kwargs, verdict):
    assert pq_mod.assess(result, expect, **kwargs) == verdict


def test_normalize_scalar_and_matrix():
    assert pq_mod.normalize_result({'resultType': 'scalar', 'result': [1, '4']}) == \
        ('scalar', [{'metric': {}, 'value': [1, '4']}])
    assert pq_mod.normalize_result({'resultType': 'matrix', 'result': [{'metric': {'a': 'b'}, 'values': [[1, '1'], [2, '5']]}]}) \
        == ('matrix', [{'metric': {'a': 'b'}, 'value': [2, '5']}])


ID1 = '1' * 64
ID2 = '2' * 64
RUNNING = checks.normalize_containers([
    {'Id': ID1, 'Names': ['/web'], 'Image': 'nginx', 'State': 'running'},
    {'Id': ID2, 'Names': ['/db'], 'Image': 'postgres', 'Status': 'Up 3 hours'},
    {'Id': '3' * 64, 'Names': ['/old'], 'Image': 'x', 'State': 'exited'},
    {'id': '4' * 64, 'name': 'gone', 'Status': 'Exited (0) 2 hours ago'},
])


def test_normalize_containers_keeps_running_only():
    assert RUNNING == [{'id': ID1, 'name': 'web', 'image': 'nginx'}, {'id': ID2, 'name': 'db', 'image': 'postgres'}]


@pytest.mark.parametrize('labels, seen, diagnoses', [
    ([{'id': '/'}, {'id': '/docker/' + ID1, 'name': 'web'}, {'id': '/system.slice/docker-%s.scope' % ID2, 'name': 'db'}],
     ['web', 'db'], []),
    ([{'id': '/'}, {'id': '/docker/' + ID1}, {'id': '/docker/' + ID2}], ['web', 'db'], ['no_name_labels']),
    ([{'id': '/'}], [], ['root_cgroup_only']),
    ([], [], ['no_series']),
    ([{'id': '/'}, {'id': '/other/cgroup', 'name': 'web'}], ['web'], []),
    ([{'id': '/'}, {'id': '/kubepods/burstable/pod1/' + ID2, 'name': 'x'}], ['db'], []),
    ([{'id': '/'}, {'id': '/system.slice/docker-%s.scope' % ID1, 'name': 'web'}, {'id': '/docker/' + ID2 + '0'}],
     ['web'], []),
])
def test_cadvisor_analysis(labels, seen, diagnoses):
    result = checks.analyze(labels, RUNNING)
    assert result['seen'] == seen
    assert [d['name'] for d in result['diagnoses']] == diagnoses
    assert result['coverage'] == {'seen': len(seen), 'running': 2, 'text': '%d/2' % len(seen)}
    assert [m['name'] for m in result['missing']] == [c['name'] for c in RUNNING if c['name'] not in seen]


@pytest.mark.parametrize('jobs, normalized', [
    (['prometheus'], [{'name': 'prometheus', 'min_healthy': 1}]),
    (['a', {'name': 'b', 'min_healthy': 2}], [{'name': 'a', 'min_healthy': 1}, {'name': 'b', 'min_healthy': 2}]),
    ([{'name': 'c', 'min_healthy': '3'}], [{'name': 'c', 'min_healthy': 3}]),
    ([{'name': 'd', 'min_healthy': 0}], [{'name': 'd', 'min_healthy': 0}]),
    ([], []),
])
def test_normalize_jobs(jobs, normalized):
    assert checks.normalize_jobs(jobs) == normalized


@pytest.mark.parametrize('jobs, message', [
    ([['a']], 'Option jobs[0] must be a job name or a dict with name and min_healthy, got ["a"]'),
    (['', 'b'], 'Option jobs[0].name must be a job name, got ""'),
    ([{'name': 'a', 'min_healthy': True}], 'Option jobs[0].min_healthy must be a whole number, got true'),
    ([{'name': 'a', 'min_healthy': 1.5}], 'Option jobs[0].min_healthy must be a whole number, got 1.5'),
])
def test_normalize_jobs_refuses(jobs, message):
    with pytest.raises(OptionError) as err:
        checks.normalize_jobs(jobs)
    assert err.value.message == message


@pytest.mark.parametrize('result, expected, missing', [
    ([{'metric': {'job': 'a'}}, {'metric': {'job': 'b'}}], ['a', 'b'], []),
    ([{'metric': {'job': 'a'}}], ['b', 'a', 'c'], ['b', 'c']),
    ([{'metric': {}}], ['a'], ['a']),
    ([], [], []),
])
def test_missing_values(result, expected, missing):
    assert pq_mod.missing_values(result, 'job', expected) == missing


def _sample(cid, name, when):
    labels = {'id': cid}
    if name:
        labels.update(name=name, image='img')
    return {'metric': labels, 'value': [when, str(when)]}


def test_newest_per_id_keeps_only_the_present_label_set():
    newest_per_id = checks.newest_per_id
    a, b = '/docker/' + 'a' * 64, '/docker/' + 'b' * 64
    # a lost its name at 200 (the engine began refusing cAdvisor); b kept it.
    results = [_sample(a, 'core', 100), _sample(a, '', 200), _sample(b, 'db', 190), _sample('/', '', 200)]
    kept = newest_per_id(results)
    assert sorted((s['id'], s.get('name', '')) for s in kept) == [('/', ''), (a, ''), (b, 'db')]
    # the reverse (names are back) keeps the named one
    assert newest_per_id([_sample(a, '', 100), _sample(a, 'core', 300)]) == [{'id': a, 'name': 'core', 'image': 'img'}]


def test_newest_per_id_leaves_out_what_is_older_than_prometheus_start():
    a, b = '/docker/' + 'a' * 64, '/docker/' + 'b' * 64
    # Replayed after an engine restart: named series from before the start at
    # 400, and the restarted cAdvisor scraped before it has found its
    # containers (only the root cgroup is new). Nothing counts as seen yet.
    replayed = [_sample(a, 'core', 390), _sample(b, 'db', 395), _sample('/', '', 405)]
    assert checks.newest_per_id(replayed, since=400.0) == [{'id': '/'}]
    analysis = checks.analyze(checks.newest_per_id(replayed, since=400.0),
                              checks.normalize_containers([{'Id': 'a' * 64, 'Names': ['/core']}]))
    assert (analysis['seen'], [c['name'] for c in analysis['missing']]) == ([], ['core'])
    # Once it has them, unnamed: the incident, by its diagnosis.
    found = checks.newest_per_id(replayed + [_sample(a, '', 415), _sample(b, '', 415)], since=400.0)
    assert [d['name'] for d in checks.analyze(found, [])['diagnoses']] == ['no_name_labels']
    # A sample at the start itself counts; without a known start, all do.
    assert checks.newest_per_id([_sample(a, 'core', 400)], since=400.0) == [{'id': a, 'name': 'core', 'image': 'img'}]
    assert len(checks.newest_per_id(replayed, since=None)) == 3


@pytest.mark.parametrize('text, seconds', [
    ('2026-12-06T00:10:00Z', 1796515800.0),
    ('2026-12-06T00:10:00.123456789Z', 1796515800.123456),
    ('2026-12-06T01:10:00.5+01:00', 1796515800.5),
])
def test_rfc3339_seconds_takes_go_times(text, seconds):
    from ansible_collections.coinpilot.monitoring.plugins.module_utils._prometheus import rfc3339_seconds
    assert rfc3339_seconds(text) == pytest.approx(seconds)
