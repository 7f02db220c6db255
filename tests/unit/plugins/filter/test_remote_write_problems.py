# -*- coding: utf-8 -*-
"""The remote_write_problems filter: what passes, what is named, and that no
secret is ever shown. The exact sentences are asserted end to end in
tests/integration/test_remote_write_preflight.py."""

import pytest

from ansible_collections.coinpilot.monitoring.plugins.filter.remote_write_problems import (
    remote_write_problems, show)
from ansible_collections.coinpilot.monitoring.plugins.module_utils._duration import parse_duration

URL = 'http://vm:8428/api/v1/write'


@pytest.mark.parametrize('entries', [
    None, [], [{'url': URL}], [{'url': 'https://[::1]:8428/api/v1/write'}],
    [{'url': URL, 'queue_config': {'min_shards': 2, 'max_shards': 2, 'min_backoff': '1s', 'max_backoff': '1s',
                                   'retry_on_http_429': True, 'sample_age_limit': '0s'}}],
    [{'url': URL, 'write_relabel_configs': []}],
    [{'url': URL, 'name': 'a'}, {'url': URL, 'name': 'b'}],
])
def test_good_entries(entries):
    assert remote_write_problems(entries) == []


@pytest.mark.parametrize('entries, start', [
    ({'url': URL}, 'prometheus_remote_write is a mapping, not a list'),
    (['http://vm'], "prometheus_remote_write[0] is 'http://vm', not a mapping"),
    ([{'url': URL, 'remote_timeout': 30}], 'prometheus_remote_write[0].remote_timeout is 30;'),
    ([{'url': URL, 'name': 'a'}, {'url': URL, 'name': 'a'}],
     "prometheus_remote_write[1].name is 'a', which prometheus_remote_write[0] already uses"),
    ([{'url': URL, 'queue_config': {'min_shards': 5, 'max_shards': 2}}],
     'prometheus_remote_write[0].queue_config.min_shards is 5, above max_shards (2)'),
    ([{'url': URL, 'queue_config': {'min_backoff': '1m', 'max_backoff': '5s'}}],
     "prometheus_remote_write[0].queue_config.min_backoff is '1m', longer than max_backoff ('5s')"),
    ([{'url': URL, 'queue_config': {'capacity': True}}], 'prometheus_remote_write[0].queue_config.capacity is true;'),
    ([{'url': URL, 'queue_config': [1]}], 'prometheus_remote_write[0].queue_config is a list, not a mapping'),
    ([{'url': URL, 'tls_config': {'insecure_skip_verify': 'yes'}}],
     "prometheus_remote_write[0].tls_config.insecure_skip_verify is 'yes'"),
    ([{'url': URL, 'tls_config': {'ca_path': '/x'}}], 'prometheus_remote_write[0].tls_config has the unknown key(s) ca_path'),
    ([{'url': URL, 'write_relabel_configs': [{'action': 'delete'}]}],
     "prometheus_remote_write[0].write_relabel_configs[0].action is 'delete'"),
    ([{'url': URL, 'write_relabel_configs': [{'regexp': 'x'}]}],
     'prometheus_remote_write[0].write_relabel_configs[0] has the unknown key(s) regexp'),
    ([{'url': URL, 'basic_auth': {'password': 'p'}}], 'prometheus_remote_write[0].basic_auth has no username'),
    ([{'url': URL, 'headers': {'X-Scope-OrgID': 1}}], 'prometheus_remote_write[0].headers is not a mapping'),
    ([{'url': 'http://vm :8428/'}], "prometheus_remote_write[0].url is 'http://vm :8428/', which is not"),
])
def test_bad_entries_name_the_entry(entries, start):
    problems = remote_write_problems(entries)
    assert len(problems) == 1
    assert problems[0].startswith(start), problems[0]


def test_every_bad_entry_is_reported_in_order():
    problems = remote_write_problems([{'url': 'vm'}, {'url': URL}, {}])
    assert [p.split(' ', 1)[0] for p in problems] == ['prometheus_remote_write[0].url', 'prometheus_remote_write[2]']


@pytest.mark.parametrize('entry', [
    {'url': 'https://u:hunter22@vm/api/v1/write'},
    {'url': URL, 'basic_auth': 'u:hunter22'},
    {'url': URL, 'basic_auth': {'username': 'u', 'password': 'hunter22', 'x': 1}},
    {'url': URL, 'bearer_token': 'hunter22', 'basic_auth': {'username': 'u', 'password': 'hunter22'}},
    {'url': URL, 'headers': {'Authorization': 'Bearer hunter22'}},
    {'url': URL, 'headers': {'X-Token': ['hunter22']}},
    {'url': URL, 'hunter': 'hunter22'},
    ['hunter22'],
])
def test_no_secret_is_shown(entry):
    problems = remote_write_problems([entry])
    assert problems and 'hunter22' not in problems[0]


@pytest.mark.parametrize('value, shown', [
    ('x' * 100, "'" + 'x' * 80 + "...'"), (-1, '-1'), (2.5, '2.5'), (None, 'null'), (False, 'false'),
    ({'a': 1}, 'a mapping'), ([1], 'a list'), ('https://a:b@h/p', "'https://***@h/p'"),
])
def test_show(value, shown):
    assert show(value) == shown


@pytest.mark.parametrize('text, seconds', [('100ms', 0.1), ('5s', 5), ('1m30s', 90), ('2h', 7200), ('1d', 86400)])
def test_duration_seconds(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)
