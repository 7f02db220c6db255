# -*- coding: utf-8 -*-
"""The grafana role's input checks, through Ansible: a broken extra
dashboard file, a weak password or a badly written exposure stops the run on
the controller with one line that names it, before anything is written; good
input passes.

All cases run in one ansible-playbook, one inventory host per case (each on
the local connection), so the table costs one Ansible start-up."""

import os

import pytest

import playbook_table

FIXTURES = os.path.join(playbook_table.REPO, 'tests', 'fixtures', 'dashboards')
FIX = '; fix the file or drop it.'


def _cases(tmp):
    """Each case: (its variables besides the password, the line it must stop with or None)."""
    (tmp / 'truncated.json').write_text('{"uid": "cut", "panels": [')
    (tmp / 'list.json').write_text('[{"uid": "in-a-list"}]')
    good = os.path.join(FIXTURES, 'node-overview.json')
    exposed = 'grafana_bind_address 0.0.0.0 exposes Grafana: set grafana_allowed_cidr to the source network allowed to ' \
              'reach it (an IPv4 CIDR narrower than 0.0.0.0/0, for example 203.0.113.0/24), or keep grafana_bind_address ' \
              'at 127.0.0.1.'
    return {
        'good': ({'grafana_dashboards_extra': [good]}, None),
        'truncated': ({'grafana_dashboards_extra': [good, str(tmp / 'truncated.json')]},
                      'grafana_dashboards_extra lists %s, which is not valid JSON (Expecting value: line 1 column 27 '
                      '(char 26))%s' % (tmp / 'truncated.json', FIX)),
        'no-uid': ({'grafana_dashboards_extra': [str(tmp / 'list.json')]},
                   'grafana_dashboards_extra lists %s, which has no dashboard uid%s' % (tmp / 'list.json', FIX)),
        # A missing file is named as missing, not read.
        'missing': ({'grafana_dashboards_extra': [good, str(tmp / 'gone.json')]},
                    'grafana_dashboards_extra lists %s, which is not a file on the controller; fix the path or drop '
                    'it.' % (tmp / 'gone.json')),
        'same-name': ({'grafana_dashboards_extra': [good, good]},
                      'Two dashboard files share a file name (coinpilot-infra-overview.json, node-overview.json, '
                      'node-overview.json); rename the file in grafana_dashboards_extra that repeats a name.'),
        'default-password': ({'grafana_admin_password': 'admin'},
                             'Set grafana_admin_password to at least 8 characters other than "admin" (for example '
                             'from ansible-vault).'),
        'latest': ({'grafana_image': 'grafana/grafana:latest'},
                   "Set grafana_image to a pinned tag such as grafana/grafana:12.3.3, not 'grafana/grafana:latest'."),
        'exposed-to-all': ({'grafana_bind_address': '0.0.0.0', 'grafana_allowed_cidr': '0.0.0.0/0'}, exposed),
        # Not a CIDR: named by the rule above, and the network-address rule
        # after it does not trip over the missing prefix.
        'exposed-no-prefix': ({'grafana_bind_address': '0.0.0.0', 'grafana_allowed_cidr': '203.0.113.0'}, exposed),
        'exposed-host-bits': ({'grafana_bind_address': '0.0.0.0', 'grafana_allowed_cidr': '203.0.113.5/24'},
                              "Set grafana_allowed_cidr to the network address of its range (host bits zero), not "
                              "'203.0.113.5/24'."),
        'exposed-narrow': ({'grafana_bind_address': '0.0.0.0', 'grafana_allowed_cidr': '203.0.113.0/24'}, None),
        'half-basic-auth': ({'grafana_prometheus_basic_auth_user': 'scraper'},
                            'Set both grafana_prometheus_basic_auth_user and grafana_prometheus_basic_auth_password, '
                            'or neither.'),
    }


@pytest.fixture(scope='module')
def preflight(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('grafana-preflight')
    cases = _cases(tmp)
    _proc, out, failures = playbook_table.run(
        tmp, {name: dict({'grafana_admin_password': 'not-a-real-secret-0123'}, **variables)
              for name, (variables, _msg) in cases.items()},
        'grafana', 'preflight_input')
    return {'cases': cases, 'out': out, 'failures': failures}


@pytest.mark.parametrize('case', ['good', 'truncated', 'no-uid', 'missing', 'same-name', 'default-password', 'latest',
                                  'exposed-to-all', 'exposed-no-prefix', 'exposed-host-bits', 'exposed-narrow',
                                  'half-basic-auth'])
def test_grafana_preflight_on_input(preflight, case):
    expected = preflight['cases'][case][1]
    assert preflight['out']['stats'][case]['changed'] == 0
    if expected is None:
        assert case not in preflight['failures'], preflight['failures'].get(case)
        return
    task, msg = preflight['failures'][case]
    assert task.endswith(': Check the grafana variables')
    assert msg == expected
