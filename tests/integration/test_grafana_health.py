# -*- coding: utf-8 -*-
"""grafana_health against a local Grafana stand-in.

There is no real Grafana on this machine. The stand-in (standins.py) answers
the endpoints the module uses with the response shapes of Grafana's HTTP API
documentation: /api/health, /api/datasources/uid/<uid> and its /health check
(HTTP 400 with status ERROR when the check fails), /api/dashboards/uid/<uid>
with meta.provisioned. It requires a bearer token, like a Grafana with
anonymous access off.
"""

import pytest

import standins

TOKEN = 'sa-token-123'


@pytest.fixture(scope='module')
def grafana():
    dashboards = {'coinpilot-infra-01': ({'uid': 'coinpilot-infra-01', 'title': 'Infra Overview', 'panels': []}, True),
                  'hand-made': ({'uid': 'hand-made', 'title': 'Scratch', 'panels': []}, False)}
    server = standins.StandIn(standins.grafana_routes(dashboards, token=TOKEN))
    yield server.url
    server.close()


def test_all_healthy(run_module, grafana):
    result = run_module('grafana_health', {'url': grafana, 'bearer_token': TOKEN, 'datasources': ['prometheus'],
                                           'dashboards': ['coinpilot-infra-01'], 'require_provisioned': True,
                                           'report_check': 'grafana healthy'})
    assert result['failed'] is False, result.get('msg')
    assert result['changed'] is False
    assert result['row'] == {'check': 'grafana healthy', 'ok': True,
                             'detail': 'Grafana 10.4.2, datasource prometheus OK, dashboard coinpilot-infra-01 provisioned'}
    assert result['health'] == {'commit': '2f0a6e3', 'database': 'ok', 'version': '10.4.2'}
    assert result['datasources'] == [{'uid': 'prometheus', 'found': True, 'name': 'Prometheus', 'type': 'prometheus',
                                      'status': 'OK', 'message': 'Successfully queried the Prometheus API.'}]
    assert result['dashboards'] == [{'uid': 'coinpilot-infra-01', 'found': True, 'title': 'Infra Overview',
                                     'provisioned': True}]
    assert result['problems'] == []


def test_check_mode_does_the_same(run_module, grafana):
    args = {'url': grafana, 'bearer_token': TOKEN, 'datasources': ['prometheus']}
    assert run_module('grafana_health', args, check_mode=True) == run_module('grafana_health', args)


def test_missing_and_unhealthy_things_are_each_named(run_module, grafana):
    result = run_module('grafana_health', {
        'url': grafana, 'bearer_token': TOKEN, 'datasources': ['prometheus', 'broken', 'loki'],
        'dashboards': ['coinpilot-infra-01', 'hand-made', 'gone'], 'require_provisioned': True,
        'report_check': 'grafana healthy'})
    assert result['failed'] is True
    assert result['row'] == {'check': 'grafana healthy', 'ok': False, 'detail': result['msg']}
    assert result['problems'] == [
        'datasource broken (Broken): health check at %s/api/datasources/uid/broken/health says ERROR (HTTP 400): '
        'Post "http://nowhere:9090/api/v1/query": dial tcp: lookup nowhere: no such host' % grafana,
        'datasource loki: not found at %s/api/datasources/uid/loki (is it provisioned, with this uid?)' % grafana,
        'dashboard hand-made (Scratch): exists but is not provisioned (meta.provisioned is false): it was created or '
        'saved by hand; check the dashboard provider configuration',
        'dashboard gone: not found at %s/api/dashboards/uid/gone' % grafana,
    ]
    assert result['msg'] == 'Grafana at %s: %s' % (grafana, '; '.join(result['problems']))


def test_provisioning_is_only_checked_when_asked(run_module, grafana):
    result = run_module('grafana_health', {'url': grafana, 'bearer_token': TOKEN, 'dashboards': ['hand-made']})
    assert result['failed'] is False
    assert result['dashboards'][0]['provisioned'] is False


def test_database_failing(run_module, grafana):
    result = run_module('grafana_health', {'url': grafana + '/dbfail', 'bearer_token': TOKEN})
    assert result['failed'] is True
    assert result['msg'] == ('Grafana at %s/dbfail: Grafana at %s/dbfail/api/health reports database failing '
                             '(HTTP 503): check the database settings and the Grafana log' % (grafana, grafana))


def test_wrong_token(run_module, grafana):
    result = run_module('grafana_health', {'url': grafana, 'bearer_token': 'wrong'})
    assert result['failed'] is True
    assert result['msg'] == ('Grafana at %s/api/health answered HTTP 401 Unauthorized: Unauthorized '
                             '(check url_username/url_password or bearer_token)' % grafana)
    assert 'wrong' not in result['msg']
