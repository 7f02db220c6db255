# -*- coding: utf-8 -*-
"""The prometheus role's preflight on bad prometheus_remote_write entries:
each stops the run with one line that names the entry, the value and the
fix, shows no secret, and changes nothing.

All cases run in one ansible-playbook, one inventory host per case (each on
the local connection), so the table costs one Ansible start-up."""

import pytest

import playbook_table

SECRET = 'S3cret-rw-Pa55'
GOOD = {'url': 'http://vm:8428/api/v1/write'}
W = 'prometheus_remote_write'
FIX_URL = 'write it like http://vm:8428/api/v1/write.'
FIX_INT = "set it to a whole number of 1 or more, or leave it out for Prometheus' default."
RULE = "{source_labels: [__name__], regex: 'go_.*', action: drop}"

CASES = {
    'no-url': ([{'name': 'vm'}],
               W + "[0] has no url; set url to the store's remote-write endpoint, for example "
               'http://vm:8428/api/v1/write.'),
    'no-scheme': ([{'url': 'vm:8428/api/v1/write'}],
                  W + "[0].url is 'vm:8428/api/v1/write', which is not an http:// or https:// URL with a host; "
                  + FIX_URL),
    'no-host': ([{'url': 'http:///api/v1/write'}],
                W + "[0].url is 'http:///api/v1/write', which is not an http:// or https:// URL with a host; "
                + FIX_URL),
    'other-scheme': ([{'url': 'ftp://vm/api/v1/write'}],
                     W + "[0].url is 'ftp://vm/api/v1/write', which is not an http:// or https:// URL with a "
                     'host; ' + FIX_URL),
    'credentials-in-url': ([{'url': 'https://coinpilot:%s@vm:8428/api/v1/write' % SECRET}],
                           W + "[0].url is 'https://***@vm:8428/api/v1/write', which carries credentials; move "
                           'them to basic_auth, whose password goes to a 0640 file and never into prometheus.yml '
                           'or the log.'),
    'both-auths': ([dict(GOOD, basic_auth={'username': 'coinpilot', 'password': SECRET}, bearer_token=SECRET)],
                   W + '[0] sets both basic_auth and bearer_token; a store takes one kind of auth, so keep the '
                   'one it expects.'),
    'basic-auth-without-password': ([dict(GOOD, basic_auth={'username': 'coinpilot'})],
                                    W + "[0].basic_auth (username 'coinpilot') has no password; set "
                                    'basic_auth.password, for example from ansible-vault.'),
    'basic-auth-as-text': ([dict(GOOD, basic_auth='coinpilot:' + SECRET)],
                           W + '[0].basic_auth is not a mapping; write it as {username: ..., password: ...}.'),
    'empty-token': ([dict(GOOD, bearer_token='')],
                    W + '[0].bearer_token is empty or not text; set it to the token, for example from '
                    'ansible-vault, or remove it.'),
    'unknown-key': ([dict(GOOD, password=SECRET)],
                    W + '[0] has the unknown key(s) password; use only url, name, remote_timeout, basic_auth, '
                    'bearer_token, headers, tls_config, queue_config and write_relabel_configs.'),
    'authorization-header': ([dict(GOOD, headers={'Authorization': 'Bearer ' + SECRET})],
                             W + '[0].headers sets Authorization, which Prometheus does not allow there; for '
                             'credentials use bearer_token or basic_auth, which keep the secret in a 0640 file.'),
    'negative-capacity': ([dict(GOOD, queue_config={'capacity': -1})],
                          W + '[0].queue_config.capacity is -1; ' + FIX_INT),
    'fractional-max-shards': ([dict(GOOD, queue_config={'max_shards': 2.5})],
                              W + '[0].queue_config.max_shards is 2.5; ' + FIX_INT),
    'zero-min-shards': ([dict(GOOD, queue_config={'min_shards': 0})],
                        W + '[0].queue_config.min_shards is 0; ' + FIX_INT),
    'text-max-samples': ([dict(GOOD, queue_config={'max_samples_per_send': '2000'})],
                         W + "[0].queue_config.max_samples_per_send is '2000'; " + FIX_INT),
    'deadline-not-a-duration': ([dict(GOOD, queue_config={'batch_send_deadline': 5})],
                                W + '[0].queue_config.batch_send_deadline is 5; write a Prometheus duration such '
                                'as 5s or 100ms.'),
    'unknown-queue-key': ([dict(GOOD, queue_config={'shards': 4})],
                          W + '[0].queue_config has the unknown key(s) shards; use only capacity, max_shards, '
                          'min_shards, max_samples_per_send, batch_send_deadline, min_backoff, max_backoff, '
                          'sample_age_limit and retry_on_http_429.'),
    'relabel-mapping': ([dict(GOOD, write_relabel_configs={'action': 'drop', 'regex': 'go_.*'})],
                        W + '[0].write_relabel_configs is a mapping, not a list of mappings; write it as a list '
                        'of relabel rules, for example [%s].' % RULE),
    'relabel-text-rule': ([dict(GOOD, write_relabel_configs=['drop'])],
                          W + "[0].write_relabel_configs[0] is 'drop', not a mapping; write each rule as a "
                          'mapping, for example %s.' % RULE),
    'second-entry': ([GOOD, {'name': 'mimir', 'url': 'mimir:9009/api/v1/push'}],
                     W + "[1].url is 'mimir:9009/api/v1/push', which is not an http:// or https:// URL with a "
                     'host; ' + FIX_URL),
    'good': ([dict(GOOD, name='vm', basic_auth={'username': 'coinpilot', 'password': SECRET},
                   queue_config={'capacity': 10000, 'max_shards': 10, 'min_shards': 1, 'max_samples_per_send': 2000,
                                 'batch_send_deadline': '5s', 'min_backoff': '30ms', 'max_backoff': '5s'},
                   write_relabel_configs=[{'source_labels': ['__name__'], 'regex': 'go_.*', 'action': 'drop'}]),
              {'name': 'mimir', 'url': 'https://mimir:9009/api/v1/push', 'headers': {'X-Scope-OrgID': 'coinpilot'},
               'bearer_token': SECRET, 'tls_config': {'server_name': 'mimir', 'insecure_skip_verify': False}}],
             None),
}


@pytest.fixture(scope='module')
def preflight(tmp_path_factory):
    # The app network check would ask Docker; it is not the subject here.
    proc, out, failures = playbook_table.run(
        tmp_path_factory.mktemp('rw-preflight'),
        {name: {'prometheus_remote_write': value} for name, (value, _msg) in CASES.items()},
        'prometheus', 'preflight', role_vars={'prometheus_app_network': ''})
    return {'proc': proc, 'out': out, 'failures': failures}


@pytest.mark.parametrize('case', sorted(CASES))
def test_remote_write_preflight(preflight, case):
    expected = CASES[case][1]
    stats = preflight['out']['stats'][case]
    assert stats['changed'] == 0
    if expected is None:
        assert case not in preflight['failures'], preflight['failures'].get(case)
        assert stats['failures'] == 0
        return
    task, msg = preflight['failures'][case]
    assert task.endswith(': Check the prometheus variables')
    assert msg == expected
    assert '\n' not in msg


def test_no_secret_in_the_output(preflight):
    assert SECRET not in preflight['proc'].stdout + preflight['proc'].stderr
