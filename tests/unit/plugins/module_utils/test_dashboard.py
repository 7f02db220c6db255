# -*- coding: utf-8 -*-
"""Panel discovery, variable selection and repeats, without Prometheus.

The checker is given a recording fake of the Prometheus client, so these
tests see exactly which queries would be sent.
"""

import pytest

from ansible_collections.coinpilot.monitoring.plugins.module_utils import _dashboard as dash
from ansible_collections.coinpilot.monitoring.plugins.module_utils._prometheus import PromQLError


class FakePrometheus:
    """Answers label and series lookups from a fixed label set; a range
    query has data when its text contains a word from ``with_data``."""

    def __init__(self, series, with_data=(), bad=()):
        self.series_set = series
        self.with_data = with_data
        self.bad = bad
        self.sent = []

    def label_values(self, label, match=None, start=None, end=None, origin=None):
        self.sent.append(('label_values', label, match))
        rows = self.series_set
        if match:
            name = match.split('{')[0]
            rows = [s for s in rows if not name or s.get('__name__') == name]
        return sorted({s[label] for s in rows if label in s})

    def query(self, expr, time_=None, origin=None):
        self.sent.append(('query', expr))
        return self._answer(expr, origin, instant=True)

    def query_range(self, expr, start, end, step, origin=None):
        self.sent.append(('query_range', expr, step))
        return self._answer(expr, origin, instant=False)

    def _answer(self, expr, origin, instant):
        if any(b in expr for b in self.bad):
            raise PromQLError('rejected from %s: parse error; query: %s' % (origin, expr), 'parse error')
        if expr.startswith('count by (cpu)'):
            return {'resultType': 'vector', 'result': [{'metric': {'cpu': c}, 'value': [1, '1']} for c in '01']}
        has = any(w in expr for w in self.with_data)
        if instant:
            return {'resultType': 'vector', 'result': [{'metric': {}, 'value': [1, '1']}] if has else []}
        return {'resultType': 'matrix', 'result': [{'metric': {}, 'values': [[1, '1']]}] if has else []}


SERIES = [
    {'__name__': 'node_uname_info', 'job': 'node', 'instance': 'a:9100'},
    {'__name__': 'node_uname_info', 'job': 'node', 'instance': 'b:9100'},
    {'__name__': 'node_load1', 'job': 'node', 'instance': 'a:9100'},
    {'__name__': 'node_load5', 'job': 'node', 'instance': 'a:9100'},
]


def panel(pid, title, *exprs, **extra):
    p = {'id': pid, 'title': title, 'type': 'timeseries',
         'targets': [{'refId': chr(65 + i), 'expr': e} for i, e in enumerate(exprs)]}
    p.update(extra)
    return p


def checker(dashboard, client=None, **kwargs):
    client = client or FakePrometheus(SERIES, with_data=('node_',))
    kwargs.setdefault('scrape_interval_s', 15)
    return dash.DashboardChecker(client, dashboard, now=1714557600.0, **kwargs), client


def test_walk_panels_covers_rows_collapsed_rows_and_legacy_rows():
    board = {'panels': [
        panel(1, 'top'),
        {'id': 10, 'type': 'row', 'title': 'open', 'collapsed': False, 'panels': []},
        panel(2, 'under open'),
        {'id': 11, 'type': 'row', 'title': 'closed', 'collapsed': True, 'panels': [panel(3, 'inside closed')]},
        panel(4, 'after closed'),
    ], 'rows': [{'title': 'legacy', 'panels': [panel(5, 'legacy one')]}]}
    found = [(p['title'], (r or {}).get('title')) for p, r in dash.walk_panels(board)]
    assert found == [('top', None), ('under open', 'open'), ('inside closed', 'closed'), ('after closed', 'closed'),
                     ('legacy one', 'legacy')]


def test_unwrap_dashboard_envelope():
    model = {'title': 't', 'panels': []}
    assert dash.unwrap_dashboard({'dashboard': model, 'meta': {}}) is model
    assert dash.unwrap_dashboard(model) is model


@pytest.mark.parametrize('var, options, override, expected', [
    ({'current': {'value': 'b'}}, ['a', 'b'], None, (['b'], False)),
    ({'current': {'value': 'gone'}}, ['a', 'b'], None, (['a'], False)),
    ({'current': {'value': 'gone'}, 'includeAll': True}, ['a', 'b'], None, ([], True)),
    ({'current': {}}, ['a', 'b'], None, (['a'], False)),
    ({'current': {'value': ['$__all']}, 'includeAll': True, 'multi': True}, ['a'], None, ([], True)),
    ({'current': {'value': ['a', 'gone', 'b']}, 'multi': True}, ['a', 'b'], None, (['a', 'b'], False)),
    ({'current': {'value': 'a'}}, ['a', 'b'], 'b', (['b'], False)),
    ({'current': {'value': 'a'}}, ['a', 'b'], ['a', 'b'], (['a', 'b'], False)),
    ({'includeAll': True}, ['a', 'b'], '$__all', ([], True)),
    ({'current': {'value': 'x'}}, [], None, (['x'], False)),
])
def test_select_values(var, options, override, expected):
    assert dash.select_values(var, options, override) == expected


def test_resolution_order_follows_references():
    defs = [{'name': 'instance', 'query': 'label_values(up{job="$job"}, instance)'},
            {'name': 'job', 'query': 'label_values(up, job)'},
            {'name': 'x', 'query': 'label_values(up{i="$instance"}, x)', 'regex': '/$job/'}]
    assert [v['name'] for v in dash.resolution_order(defs)] == ['job', 'instance', 'x']


def test_resolution_order_survives_cycles():
    defs = [{'name': 'a', 'query': '$b'}, {'name': 'b', 'query': '$a'}]
    assert [v['name'] for v in dash.resolution_order(defs)] == ['a', 'b']


@pytest.mark.parametrize('ds, expected', [
    (None, True), ('', True), ('Prometheus', True), ({'type': 'prometheus', 'uid': 'p'}, True),
    ({'uid': 'p'}, True), ({'type': 'loki', 'uid': 'l'}, False), ('-- Grafana --', False),
    ({'type': 'datasource', 'uid': '-- Dashboard --'}, False), ({'type': 'datasource', 'uid': 'grafana'}, False),
    ('$ds', True), ('${logs}', False), ({'type': 'prometheus', 'uid': '${ds}'}, True),
])
def test_is_prometheus_datasource(ds, expected):
    defs = [{'name': 'ds', 'type': 'datasource', 'query': 'prometheus'},
            {'name': 'logs', 'type': 'datasource', 'query': 'loki'}]
    assert dash.is_prometheus_datasource(ds, defs) is expected


def test_chained_variables_and_all_expansion():
    board = {'time': {'from': 'now-1h', 'to': 'now'}, 'templating': {'list': [
        {'name': 'instance', 'type': 'query', 'query': 'label_values(node_uname_info{job="$job"}, instance)',
         'refresh': 1, 'multi': True, 'includeAll': True, 'current': {'value': '$__all'}},
        {'name': 'job', 'type': 'query', 'query': 'label_values(node_uname_info, job)', 'refresh': 1},
    ]}, 'panels': [panel(1, 'load', 'node_load1{job="$job",instance=~"$instance"}')]}
    check, client = checker(board)
    reports, queries = check.check()
    assert queries == 1
    assert ('label_values', 'instance', 'node_uname_info{job="node"}') in client.sent
    assert reports[0]['targets'][0]['query'] == 'node_load1{job="node",instance=~"(a:9100|b:9100)"}'
    assert reports[0]['status'] == 'data'
    assert check.variables['instance'].values() == ['a:9100', 'b:9100']


def test_repeat_panels_and_rows_use_one_value_each():
    board = {'templating': {'list': [
        {'name': 'instance', 'type': 'custom', 'query': 'a:9100,b:9100', 'multi': True, 'includeAll': True,
         'current': {'value': ['$__all']}},
        {'name': 'cpu', 'type': 'custom', 'query': '0,1', 'multi': True, 'current': {'value': ['0', '1']}},
    ]}, 'panels': [
        {'id': 10, 'type': 'row', 'title': 'Host $instance', 'repeat': 'instance', 'panels': []},
        panel(1, 'CPU $cpu on $instance', 'node_cpu{cpu=~"$cpu",instance=~"$instance"}', repeat='cpu'),
    ]}
    check, dummy = checker(board)
    reports, queries = check.check()
    assert queries == 4
    assert [(r['title'], r['row']) for r in reports] == [
        ('CPU 0 on a:9100', 'Host a:9100'), ('CPU 1 on a:9100', 'Host a:9100'),
        ('CPU 0 on b:9100', 'Host b:9100'), ('CPU 1 on b:9100', 'Host b:9100')]
    assert reports[3]['targets'][0]['query'] == 'node_cpu{cpu=~"1",instance=~"b:9100"}'
    assert reports[3]['repeat'] == {'instance': 'b:9100', 'cpu': '1'}


def test_interval_variable_with_a_fixed_list():
    board = {'templating': {'list': [
        {'name': 'fixed', 'type': 'interval', 'query': '1m,10m', 'current': {'value': '10m'}},
        {'name': 'first', 'type': 'interval', 'query': '1m,10m', 'current': {}},
    ]}, 'panels': [panel(1, 'p', 'rate(node_x[$fixed]) + rate(node_y[$first])')]}
    check, dummy = checker(board)
    reports, dummy = check.check()
    assert reports[0]['targets'][0]['query'] == 'rate(node_x[10m]) + rate(node_y[1m])'
    assert reports[0]['status'] == 'data'


def test_what_no_public_dashboard_uses_fails_its_panel_by_name():
    board = {'templating': {'list': [
        {'name': 'iv', 'type': 'interval', 'query': '1m,10m', 'auto': True,
         'current': {'text': 'auto', 'value': '$__auto_interval_iv'}},
        {'name': 'fs', 'type': 'constant', 'query': 'ext4'},
        {'name': 'box', 'type': 'textbox', 'query': '/'},
        {'name': 'names', 'type': 'query', 'query': 'metrics(^node_load)', 'refresh': 1},
        {'name': 'job', 'type': 'custom', 'query': 'node'},
        {'name': 'old', 'type': 'query', 'query': 'label_values(node_uname_info{job="[[job]]"}, instance)'},
        {'name': 'chained', 'type': 'query', 'query': 'label_values(node_uname_info{instance="$old"}, job)'},
    ]}, 'panels': [
        panel(1, 'auto', 'rate(node_x[$iv])'),
        panel(2, 'constant and textbox', 'node_fs{fstype="$fs", mountpoint="$box"}'),
        panel(3, 'metrics()', '$names'),
        panel(4, 'old syntax and formats', 'node_x{job="[[job]]"} / $__interval_ms', 'node_y{job=~"${job:pipe}"}'),
        panel(5, 'kept', 'node_x{job="$job"}'),
        panel(6, 'chained', 'node_x{job="$chained"}'),
    ]}
    check, client = checker(board)
    reports, queries = check.check()
    assert check.unresolved == {'iv': 'an interval variable set to auto', 'fs': 'a constant variable',
                                'box': 'a textbox variable',
                                'names': 'a query other than label_values() or query_result()',
                                'old': 'a query that uses [[job]] (write $job)',
                                'chained': 'a query that uses $old (a query that uses [[job]] (write $job))'}
    assert check.variable_errors == []
    assert [r['status'] for r in reports] == ['error'] * 4 + ['data', 'error']
    errors = [t['error'] for r in reports for t in r['targets']]
    assert errors == [
        "panel 'auto' (id 1), query A uses what this check does not expand: $iv (an interval variable set to auto)",
        "panel 'constant and textbox' (id 2), query A uses what this check does not expand: "
        "$fs (a constant variable), $box (a textbox variable)",
        "panel 'metrics()' (id 3), query A uses what this check does not expand: "
        "$names (a query other than label_values() or query_result())",
        "panel 'old syntax and formats' (id 4), query A uses what this check does not expand: "
        "[[job]] (write $job), $__interval_ms (a macro)",
        "panel 'old syntax and formats' (id 4), query B uses what this check does not expand: "
        "${job:pipe} (the pipe format)",
        None,
        "panel 'chained' (id 6), query A uses what this check does not expand: "
        "$chained (a query that uses $old (a query that uses [[job]] (write $job)))"]
    # none of them reached Prometheus
    assert client.sent == [('query_range', 'node_x{job="node"}', 15)]
    assert queries == 7


def test_a_regex_with_flags_is_a_variable_error():
    board = {'templating': {'list': [
        {'name': 'job', 'type': 'query', 'query': 'label_values(node_uname_info, job)', 'regex': '/NODE/i',
         'refresh': 1}]}, 'panels': [panel(1, 'p', 'node_load1{job="$job"}')]}
    check, dummy = checker(board)
    check.check()
    assert [e.message for e in check.variable_errors] == [
        "variable 'job' has a regex this check cannot use (the flags /i are not supported): /NODE/i"]


def test_steps_and_macros_follow_panel_and_target_intervals():
    board = {'time': {'from': 'now-6h', 'to': 'now'}, 'panels': [
        panel(1, 'default', 'rate(node_x[$__rate_interval])'),
        panel(2, 'panel min', 'rate(node_x[$__rate_interval])', interval='1m'),
        {'id': 3, 'title': 'target min', 'targets': [
            {'refId': 'A', 'expr': 'rate(node_x[$__rate_interval]) + count_over_time(node_x[$__interval])',
             'interval': '2m'}]},
        panel(4, 'few points', 'avg_over_time(node_x[$__interval])', maxDataPoints=10),
    ]}
    check, client = checker(board)
    reports, dummy = check.check()
    got = [(r['targets'][0]['query'], r['targets'][0]['step']) for r in reports]
    assert got == [
        ('rate(node_x[60s])', 20.0),           # 21.6 s -> 20 s; max(20+15, 4*15)
        ('rate(node_x[75s])', 60.0),           # panel min 1m; 60 + 15
        ('rate(node_x[480s]) + count_over_time(node_x[120s])', 120),  # target min step 2m is also the rate base
        ('avg_over_time(node_x[1800s])', 1800.0),
    ]


def test_statuses_errors_hidden_and_non_prometheus_targets():
    board = {'panels': [
        panel(1, 'has data', 'node_load1', 'missing_metric'),
        panel(2, 'no data', 'missing_metric'),
        panel(3, 'bad', 'node_load1', 'broken(('),
        {'id': 4, 'title': 'hidden only', 'targets': [{'refId': 'A', 'expr': 'node_load1', 'hide': True}]},
        {'id': 5, 'title': 'loki', 'datasource': {'type': 'loki', 'uid': 'l'}, 'targets': [{'refId': 'A', 'expr': 'x'}]},
        {'id': 6, 'title': 'text', 'type': 'text'},
        {'id': 7, 'title': 'instant', 'targets': [{'refId': 'A', 'expr': 'node_load1', 'instant': True}]},
    ]}
    check, client = checker(board, FakePrometheus(SERIES, with_data=('node_',), bad=('((',)))
    reports, queries = check.check()
    assert [(r['title'], r['status']) for r in reports] == [
        ('has data', 'data'), ('no data', 'no_data'), ('bad', 'error'), ('hidden only', 'skipped'),
        ('loki', 'skipped'), ('text', 'skipped'), ('instant', 'data')]
    assert queries == 6
    assert reports[2]['targets'][1]['error'].startswith("rejected from panel 'bad' (id 3), query B: parse error")
    assert ('query', 'node_load1') in client.sent
    check, dummy = checker(board, FakePrometheus(SERIES, with_data=('node_',), bad=('((',)))
    reports, dummy = check.check(require_all_targets=True)
    assert reports[0]['status'] == 'no_data'


def test_library_panels():
    model = panel(None, 'lib', 'node_load1')
    board = {'__elements': {'u1': {'uid': 'u1', 'kind': 1, 'model': model}}, 'panels': [
        {'id': 1, 'libraryPanel': {'uid': 'u1', 'name': 'lib'}},
        {'id': 2, 'libraryPanel': {'uid': 'u2', 'name': 'fetched'}},
        {'id': 3, 'libraryPanel': {'uid': 'u3', 'name': 'unknown'}},
    ]}
    fetched = {'u2': panel(None, 'fetched', 'node_load5')}

    def fetch(uid):
        return (fetched.get(uid), None if uid in fetched else 'not there')

    check, dummy = checker(board, library_fetch=fetch)
    reports, dummy = check.check()
    assert [(r['id'], r['title'], r['status']) for r in reports] == [
        (1, 'lib', 'data'), (2, 'fetched', 'data'), (3, '', 'skipped')]
    assert reports[2]['reason'] == 'library panel unknown (uid u3) could not be resolved: not there'


def test_variable_query_error_is_reported_not_raised():
    board = {'templating': {'list': [{'name': 'v', 'type': 'query', 'query': 'query_result(broken(()', 'refresh': 1}]},
             'panels': [panel(1, 'p', 'node_load1')]}
    check, dummy = checker(board, FakePrometheus(SERIES, with_data=('node_',), bad=('((',)))
    reports, dummy = check.check()
    assert reports[0]['status'] == 'data'
    assert [e.name for e in check.variable_errors] == ['v']


@pytest.mark.parametrize('time_, seconds', [
    ({'from': 'now-6h', 'to': 'now'}, 21600), ({'from': 'now-15m', 'to': 'now'}, 900),
    ({'from': 'now-1d/d', 'to': 'now'}, 86400), ({'from': '2024-01-01T00:00:00Z', 'to': 'now'}, 3600),
    ({}, 3600), ({'from': 'now-bogus', 'to': 'now'}, 3600),
])
def test_dashboard_range(time_, seconds):
    assert dash.dashboard_range({'time': time_}) == seconds
