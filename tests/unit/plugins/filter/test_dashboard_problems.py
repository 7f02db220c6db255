# -*- coding: utf-8 -*-
"""The dashboard_problems filter: a file Grafana's file provider would load
passes; any other is named with its reason, in one sentence. The grafana
role's preflight is run with it in tests/integration/test_grafana_preflight.py."""

import json

import pytest

from ansible_collections.coinpilot.monitoring.plugins.filter.dashboard_problems import dashboard_problems


def _file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_dashboards_with_a_uid_pass(tmp_path):
    paths = [_file(tmp_path, 'a.json', json.dumps({'uid': 'a', 'panels': []})),
             _file(tmp_path, 'b.json', json.dumps({'uid': 'b', 'title': 'B'}))]
    assert dashboard_problems(paths) == []
    assert dashboard_problems([]) == []
    assert dashboard_problems(None) == []


@pytest.mark.parametrize('text, reason', [
    ('{"uid": "a",', 'is not valid JSON (Expecting property name enclosed in double quotes'),
    ('', 'is not valid JSON (Expecting value'),
    ('[{"uid": "a"}]', 'has no dashboard uid;'),
    ('{"title": "no uid"}', 'has no dashboard uid;'),
    ('{"uid": ""}', 'has no dashboard uid;'),
    ('"a string"', 'has no dashboard uid;'),
])
def test_each_bad_file_is_one_sentence_with_its_reason(tmp_path, text, reason):
    path = _file(tmp_path, 'bad.json', text)
    problems = dashboard_problems([path])
    assert len(problems) == 1
    assert problems[0].startswith('grafana_dashboards_extra lists %s, which %s' % (path, reason))
    assert problems[0].endswith('; fix the file or drop it.')
    assert '\n' not in problems[0]


def test_an_unreadable_path_is_named(tmp_path):
    missing = str(tmp_path / 'missing.json')
    assert dashboard_problems([missing], name='extra') == [
        'extra lists %s, which cannot be read (No such file or directory); fix the file or drop it.' % missing]


def test_only_the_bad_files_are_named_in_order(tmp_path):
    good = _file(tmp_path, 'good.json', '{"uid": "g"}')
    first = _file(tmp_path, 'first.json', '{}')
    second = _file(tmp_path, 'second.json', 'nope')
    problems = dashboard_problems([good, first, good, second])
    assert [p.split(',')[0] for p in problems] == ['grafana_dashboards_extra lists ' + first,
                                                   'grafana_dashboards_extra lists ' + second]
