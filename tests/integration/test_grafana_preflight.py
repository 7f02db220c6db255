# -*- coding: utf-8 -*-
"""The grafana role's preflight on extra dashboard files, through Ansible:
a broken file stops the run on the controller with one line that names it,
before anything is written; good files pass.

All cases run in one ansible-playbook, one inventory host per case (each on
the local connection), so the table costs one Ansible start-up."""

import os

import pytest

import playbook_table

FIXTURES = os.path.join(playbook_table.REPO, 'tests', 'fixtures', 'dashboards')
FIX = '; fix the file or drop it.'


def _cases(tmp):
    (tmp / 'truncated.json').write_text('{"uid": "cut", "panels": [')
    (tmp / 'list.json').write_text('[{"uid": "in-a-list"}]')
    good = os.path.join(FIXTURES, 'node-overview.json')
    return {
        'good': ([good], None),
        'truncated': ([good, str(tmp / 'truncated.json')],
                      'grafana_dashboards_extra lists %s, which is not valid JSON (Expecting value: line 1 column 27 '
                      '(char 26))%s' % (tmp / 'truncated.json', FIX)),
        'no-uid': ([str(tmp / 'list.json')],
                   'grafana_dashboards_extra lists %s, which has no dashboard uid%s' % (tmp / 'list.json', FIX)),
    }


@pytest.fixture(scope='module')
def preflight(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('grafana-preflight')
    cases = _cases(tmp)
    _proc, out, failures = playbook_table.run(
        tmp, {name: {'grafana_admin_password': 'not-a-real-secret-0123', 'grafana_dashboards_extra': paths}
              for name, (paths, _msg) in cases.items()},
        'grafana', 'preflight_input')
    return {'cases': cases, 'out': out, 'failures': failures}


@pytest.mark.parametrize('case', ['good', 'truncated', 'no-uid'])
def test_grafana_preflight_on_dashboard_files(preflight, case):
    expected = preflight['cases'][case][1]
    assert preflight['out']['stats'][case]['changed'] == 0
    if expected is None:
        assert case not in preflight['failures'], preflight['failures'].get(case)
        return
    task, msg = preflight['failures'][case]
    assert task.endswith(': Check that the extra dashboards are dashboard JSON with a uid')
    assert msg == expected
