# -*- coding: utf-8 -*-
"""Grafana's template expansion for PromQL, as pure functions."""

import re

import pytest

from ansible_collections.coinpilot.monitoring.plugins.module_utils import _promql as pq

V = pq.Variable


def variables():
    return {
        'job': V('job', ['node-exporter'], ['node-exporter', 'cadvisor']),
        'inst': V('inst', ['10.0.0.1:9100', '10.0.0.2:9100'], ['10.0.0.1:9100', '10.0.0.2:9100', '10.0.0.3:9100'],
                  multi=True, include_all=True),
        'one_multi': V('one_multi', ['a.b'], ['a.b', 'c'], multi=True),
        'all_plain': V('all_plain', [], ['x', 'y.z'], multi=True, include_all=True, is_all=True),
        'all_custom': V('all_custom', [], ['x', 'y'], include_all=True, all_value='.*', is_all=True),
        'all_nested': V('all_nested', [], ['x'], include_all=True, all_value='$job|none', is_all=True),
        'quote': V('quote', ["it's"], ["it's"]),
        'backslash': V('backslash', ['C:\\temp'], ['C:\\temp']),
        'mode': V('mode', ['user', 'system'], ['user', 'system', 'idle'], multi=True),
        'empty': V('empty', [], []),
        'job_name': V('job_name', ['other'], ['other']),
    }


BUILTINS = {'__interval': '30s', '__rate_interval': '1m', '__range': '3600s'}


@pytest.mark.parametrize('text, expected', [
    # the three syntaxes
    ('up{job="$job"}', 'up{job="node-exporter"}'),
    ('up{job="${job}"}', 'up{job="node-exporter"}'),
    ('up{job="${job.text}"}', 'up{job="node-exporter"}'),
    # $var takes the longest word: $job_name is its own variable, $jobx is unknown
    ('up{a="$job_name"}', 'up{a="other"}'),
    ('up{a="$jobx"}', 'up{a="$jobx"}'),
    ('up{a="${job}x"}', 'up{a="node-exporterx"}'),
    # unknown names, and the [[var]] syntax unsupported() names, stay as written
    ('up{a="$nope"}', 'up{a="$nope"}'),
    ('up{a="${nope:regex}"}', 'up{a="${nope:regex}"}'),
    ('up{job="[[job]]"}', 'up{job="[[job]]"}'),
    ("label_replace(up, 'a', '$1', 'b', '(.*)')", "label_replace(up, 'a', '$1', 'b', '(.*)')"),
    # multi-value: Prometheus' own formatter, an escaped alternation
    ('up{instance=~"$inst"}', 'up{instance=~"(10\\\\.0\\\\.0\\\\.1:9100|10\\\\.0\\\\.0\\\\.2:9100)"}'),
    ('up{instance=~"$one_multi"}', 'up{instance=~"a\\\\.b"}'),
    ('mode=~"$mode"', 'mode=~"(user|system)"'),
    # "All" without allValue: every option, escaped
    ('up{a=~"$all_plain"}', 'up{a=~"(x|y\\\\.z)"}'),
    # "All" with allValue: used as written, a variable in it too
    ('up{a=~"$all_custom"}', 'up{a=~".*"}'),
    ('up{a=~"$all_nested"}', 'up{a=~"$job|none"}'),
    ('up{a=~"${all_custom:regex}"}', 'up{a=~".*"}'),
    # single value: quotes and backslashes are escaped for a string literal
    ("label_replace(up, 'a', '$quote', '', '')", "label_replace(up, 'a', 'it\\\\'s', '', '')"),
    ('up{path="$backslash"}', 'up{path="C:\\\\temp"}'),
    # the regex format
    ('${inst:regex}', '(10\\.0\\.0\\.1:9100|10\\.0\\.0\\.2:9100)'),
    ('${one_multi:regex}', 'a\\.b'),
    ('${all_plain:regex}', '(x|y\\.z)'),
    # empty selection
    ('up{a="$empty"}', 'up{a=""}'),
    # macros
    ('rate(x[$__rate_interval])', 'rate(x[1m])'),
    ('rate(x[${__rate_interval}])', 'rate(x[1m])'),
    ('avg_over_time(x[$__interval])', 'avg_over_time(x[30s])'),
    ('increase(x[$__range])', 'increase(x[3600s])'),
    ('x / $__range_s', 'x / $__range_s'),
    # several references in one query
    ('sum(rate(c{job="$job",mode=~"$mode"}[$__rate_interval])) / count_over_time(x[$__range])',
     'sum(rate(c{job="node-exporter",mode=~"(user|system)"}[1m])) / count_over_time(x[3600s])'),
])
def test_interpolate(text, expected):
    assert pq.interpolate(text, variables(), builtins=BUILTINS) == expected


@pytest.mark.parametrize('scoped, expected', [
    # a repeated panel's own value wins, escaped as the variable's kind wants
    ({'inst': '10.0.0.3:9100'}, 'up{instance=~"10\\\\.0\\\\.0\\\\.3:9100"}'),
    ({'job': 'cadvisor'}, 'up{instance=~"(10\\\\.0\\\\.0\\\\.1:9100|10\\\\.0\\\\.0\\\\.2:9100)"}'),
])
def test_scoped_values(scoped, expected):
    assert pq.interpolate('up{instance=~"$inst"}', variables(), scoped=scoped) == expected


def test_scoped_builtins_win_over_variables():
    assert pq.interpolate('$__interval', {}, scoped={'__interval': '5s'}, builtins={'__interval': '1m'}) == '5s'


def test_default_format_applies_to_plain_references():
    assert pq.interpolate('$inst', variables(), default_format='regex') == \
        '(10\\.0\\.0\\.1:9100|10\\.0\\.0\\.2:9100)'


def test_expanded_multi_value_matches_what_it_should_in_promql_regex_semantics():
    # Unescape the PromQL string literal, then use the regex as Prometheus would (anchored).
    expanded = pq.interpolate('$inst', variables())
    regex = re.compile('^(?:' + expanded.replace('\\\\', '\\') + ')$')
    assert regex.match('10.0.0.1:9100') and regex.match('10.0.0.2:9100')
    assert not regex.match('10.0.0.3:9100') and not regex.match('10x0.0.1:9100')


@pytest.mark.parametrize('text, seconds', [
    ('15s', 15), ('1m', 60), ('1h30m', 5400), ('500ms', 0.5), ('2d', 172800), ('1w', 604800), ('1y', 31536000),
    ('>10s', 10), ('30', 30), ('1.5h', 5400), (' 5m ', 300), (None, None), ('', None), (12, 12.0),
])
def test_parse_duration(text, seconds):
    assert pq.parse_duration(text) == seconds


@pytest.mark.parametrize('text', ['abc', '5x', '1m foo', 'm', '-5s'])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        pq.parse_duration(text)


@pytest.mark.parametrize('seconds, text', [(15, '15s'), (60, '60s'), (0.5, '500ms'), (4.0, '4s'), (0.0001, '1ms')])
def test_format_duration(seconds, text):
    assert pq.format_duration(seconds) == text


@pytest.mark.parametrize('ms, rounded', [
    (1, 10), (14, 10), (15, 20), (120, 100), (3600, 5000), (7400, 5000), (12000, 10000), (14400, 15000),
    (21600, 20000), (60000, 60000), (86400, 60000), (100000, 120000), (3600000, 3600000), (10 ** 12, 31536000000),
])
def test_round_interval(ms, rounded):
    assert pq.round_interval(ms) == rounded


@pytest.mark.parametrize('range_s, points, minimum, interval', [
    (3600, 1000, 15, 15),       # 3.6 s rounds to 5 s, raised to the 15 s scrape interval
    (3600, 1000, 1, 5),
    (6 * 3600, 1000, 15, 20),   # 21.6 s rounds to 20 s
    (86400, 1000, 15, 60),      # 86.4 s rounds to 1 m
    (120, 1000, 1, 1),
    (120, 1000, None, 0.1),
    (3600, 100, None, 30),
])
def test_calculate_interval(range_s, points, minimum, interval):
    assert pq.calculate_interval(range_s, points, minimum) == interval


@pytest.mark.parametrize('dynamic, step, range_s, factor, expected', [
    (15, 15, 3600, 1, 15),
    (15, 15, 3600, 2, 30),
    (15, 60, 3600, 1, 60),
    (1, 1, 30 * 86400, 1, 236),  # Prometheus' 11000-point limit
])
def test_adjust_interval(dynamic, step, range_s, factor, expected):
    assert pq.adjust_interval(dynamic, step, range_s, factor) == expected


@pytest.mark.parametrize('interval, scrape, expected', [(15, 15, 60), (30, 15, 60), (60, 15, 75), (1, 1, 4)])
def test_rate_interval(interval, scrape, expected):
    assert pq.rate_interval(interval, scrape) == expected


def test_macros():
    assert pq.macros(3600.4, 15, 15) == {'__range': '3600s', '__interval': '15s', '__rate_interval': '60s'}


def test_titles_take_the_values_as_written():
    assert pq.interpolate('CPU $mode on $inst', variables(), default_format='raw') == \
        'CPU user,system on 10.0.0.1:9100,10.0.0.2:9100'


@pytest.mark.parametrize('text, found', [
    ('up{job="$job"} + ${inst:regex} + rate(x[$__rate_interval]) + $__interval + $__range', []),
    ("label_replace(up, 'a', '$1', 'b', '(.*)')", []),
    ('up{job="[[job]]", i="[[inst:regex]]"}', ['[[job]] (write $job)', '[[inst:regex]] (write $inst)']),
    ('up{mode=~"${mode:pipe}"} or ${mode:pipe}', ['${mode:pipe} (the pipe format)']),
    ('x / $__range_s + $__interval_ms + ${__from}', ['$__range_s (a macro)', '$__interval_ms (a macro)',
                                                     '${__from} (a macro)']),
    ('up{fs=~"$fs"}', ['$fs (a constant variable)']),
    (None, []),
])
def test_unsupported(text, found):
    assert pq.unsupported(text, {'fs': 'a constant variable'}) == found


@pytest.mark.parametrize('query, parsed', [
    ('label_values(job)', ('label_values', None, 'job')),
    ('label_values( job )', ('label_values', None, 'job')),
    ('label_values(up, job)', ('label_values', 'up', 'job')),
    ('label_values(up{job="a,b"}, instance)', ('label_values', 'up{job="a,b"}', 'instance')),
    ('label_values({__name__=~"node_.*", job="n"},instance)',
     ('label_values', '{__name__=~"node_.*", job="n"}', 'instance')),
    ('label_values(rate(x{a="1"}[5m]), mode)', ('label_values', 'rate(x{a="1"}[5m])', 'mode')),
    ({'query': 'label_values(up, job)', 'refId': 'PrometheusVariableQueryEditor-VariableQuery'},
     ('label_values', 'up', 'job')),
    ('query_result(topk(5, sum by (name) (rate(x[5m]))))', ('query_result', 'topk(5, sum by (name) (rate(x[5m])))')),
    ('label_names()', (None, 'label_names()')),
    ('metrics(node_load.*)', (None, 'metrics(node_load.*)')),
    ('up{job="x"}', (None, 'up{job="x"}')),
    ('', (None, '')),
])
def test_parse_variable_query(query, parsed):
    assert pq.parse_variable_query(query) == parsed


def test_query_result_texts():
    data = {'resultType': 'vector', 'result': [
        {'metric': {'__name__': 'up', 'instance': 'a:1', 'job': 'n'}, 'value': [1714557600.5, '1']},
        {'metric': {'cpu': '0'}, 'value': [1714557600, '2']},
    ]}
    assert pq.query_result_texts(data) == ['up{instance="a:1",job="n"} 1 1714557600500', '{cpu="0"} 2 1714557600000']
    assert pq.query_result_texts({'resultType': 'scalar', 'result': [1714557600, '3']}) == ['{} 3 1714557600000']
    assert pq.query_result_texts(None) == []


@pytest.mark.parametrize('regex, values, expected', [
    (None, ['b', 'a', 'b'], [('b', 'b'), ('a', 'a')]),
    ('/^node/', ['node-exporter', 'cadvisor', 'nodes'], [('node-exporter', 'node-exporter'), ('nodes', 'nodes')]),
    ('/(.*):9100/', ['a:9100', 'b:8080', 'c:9100'], [('a', 'a'), ('c', 'c')]),
    ('/cpu="([^"]+)"/', ['{cpu="0"} 1 0', '{cpu="1"} 1 0', '{cpu="0"} 2 0'], [('0', '0'), ('1', '1')]),
    ('^a', ['ab', 'ba'], [('ab', 'ab')]),
    ('/(a)?b/', ['b', 'ab'], [('a', 'a')]),
    ('/(?<!x)y/', ['ay', 'xy'], [('ay', 'ay')]),
])
def test_variable_regex(regex, values, expected):
    assert pq.apply_variable_regex(values, pq.parse_js_regex(regex)) == expected


@pytest.mark.parametrize('regex, message', [
    ('/NODE/i', 'the flags /i are not supported'),
    ('/cpu="(?<value>[^"]+)"/', 'named groups are not supported; capture the value with group 1'),
])
def test_variable_regex_refuses_what_no_public_dashboard_uses(regex, message):
    with pytest.raises(ValueError, match='^%s$' % re.escape(message)):
        pq.parse_js_regex(regex)


@pytest.mark.parametrize('sort, expected', [
    (0, ['b10', 'a2', 'B1', 'a10']),
    (1, ['B1', 'a10', 'a2', 'b10']),
    (5, ['a10', 'a2', 'B1', 'b10']),
    (3, ['b10', 'a2', 'B1', 'a10']),
])
def test_sort_options(sort, expected):
    pairs = [(v, v) for v in ['b10', 'a2', 'B1', 'a10']]
    assert [p[0] for p in pq.sort_options(pairs, sort)] == expected


@pytest.mark.parametrize('query, expected', [
    ('a,b, c', [('a', 'a'), ('b', 'b'), ('c', 'c')]),
    ('a\\,b,c', [('a,b', 'a,b'), ('c', 'c')]),
    ('1m,5m', [('1m', '1m'), ('5m', '5m')]),
    ('', []),
])
def test_custom_options(query, expected):
    assert pq.parse_custom_options(query) == expected


def test_referenced_names():
    assert pq.referenced_names('rate(x{a="$a",b="${b:regex}",c="[[c]]"}[$__rate_interval])') == \
        {'a', 'b', '__rate_interval'}
    assert pq.referenced_names(None) == set()
