# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
name: remote_write_problems
short_description: What is wrong with a list of Prometheus remote_write entries
version_added: 0.1.0
description:
  - Checks the entries of the prometheus role's C(prometheus_remote_write) and returns one sentence per problem,
    each naming the entry (C(prometheus_remote_write[<index>])), the value and the fix. An empty list means the
    entries are fine.
  - The sentences never show a password, a token or a header value; a URL's user info is shown as C(***).
  - The prometheus role's preflight fails with the first sentence, before anything on the host changes.
author:
  - CoinPilot platform team (@coinpilot)
options:
  _input:
    description: The C(prometheus_remote_write) list.
    type: list
    elements: dict
    required: true
  name:
    description: The variable name the sentences start with.
    type: str
    default: prometheus_remote_write
'''

EXAMPLES = r'''
- name: Reject malformed remote_write entries
  vars:
    _problems: "{{ prometheus_remote_write | coinpilot.monitoring.remote_write_problems }}"
  ansible.builtin.assert:
    that: _problems | length == 0
    fail_msg: "{{ _problems | first | default('') }}"
    quiet: true
'''

RETURN = r'''
_value:
  description: One sentence per problem, in the order of the entries; empty when there is none.
  type: list
  elements: str
'''

import json
import re

from urllib.parse import urlsplit

from ansible_collections.coinpilot.monitoring.plugins.module_utils._duration import parse_duration

ENTRY_KEYS = ('url', 'name', 'remote_timeout', 'basic_auth', 'bearer_token', 'headers', 'tls_config',
              'queue_config', 'write_relabel_configs')
TLS_KEYS = ('ca', 'ca_file', 'cert', 'cert_file', 'key', 'key_file', 'server_name', 'insecure_skip_verify',
            'min_version', 'max_version')
QUEUE_INTS = ('capacity', 'max_shards', 'min_shards', 'max_samples_per_send')
QUEUE_DURATIONS = ('batch_send_deadline', 'min_backoff', 'max_backoff', 'sample_age_limit')
QUEUE_KEYS = QUEUE_INTS + QUEUE_DURATIONS + ('retry_on_http_429',)
RELABEL_KEYS = ('source_labels', 'separator', 'target_label', 'regex', 'modulus', 'replacement', 'action')
RELABEL_ACTIONS = ('replace', 'keep', 'drop', 'keepequal', 'dropequal', 'hashmod', 'labelmap', 'labeldrop',
                   'labelkeep', 'lowercase', 'uppercase')
# Prometheus refuses these in `headers`; Authorization would also put a
# secret in prometheus.yml, where the role keeps none.
RESERVED_HEADERS = ('authorization', 'proxy-authorization', 'host', 'content-encoding', 'content-type',
                    'content-length', 'user-agent', 'connection', 'keep-alive', 'proxy-authenticate',
                    'www-authenticate', 'x-prometheus-remote-write-version')

_USERINFO_RE = re.compile(r'^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@')
_MAX_SHOWN = 80

EXAMPLE_URL = 'http://vm:8428/api/v1/write'
EXAMPLE_RULE = "{source_labels: [__name__], regex: 'go_.*', action: drop}"


def _redact_url(text):
    return _USERINFO_RE.sub(r'\1***@', text)


def show(value):
    """A value as the message shows it: scalars as written, containers only by
    kind, so that nothing nested (a password, a token) is ever printed."""
    if isinstance(value, str):
        text = _redact_url(value)
        if len(text) > _MAX_SHOWN:
            text = text[:_MAX_SHOWN] + '...'
        return "'%s'" % text
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)
    if isinstance(value, dict):
        return 'a mapping'
    if isinstance(value, (list, tuple)):
        return 'a list'
    return 'a %s' % type(value).__name__


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_duration(value):
    return parse_duration(value) is not None


def _unknown(mapping, allowed):
    return sorted(str(k) for k in mapping if k not in allowed)


def _keys(names):
    names = list(names)
    return ', '.join(names[:-1]) + ' and ' + names[-1] if len(names) > 1 else ''.join(names)


def _check_url(where, entry):
    if 'url' not in entry or entry['url'] in (None, ''):
        return "%s has no url; set url to the store's remote-write endpoint, for example %s." % (where, EXAMPLE_URL)
    url = entry['url']
    parts = host = None
    if isinstance(url, str) and not re.search(r'\s', url):
        try:
            parts = urlsplit(url)
            # .port raises on a port that is not a number or out of range.
            host = parts.hostname if parts.port != 0 else None
        except ValueError:
            parts = None
    if parts is None or parts.scheme not in ('http', 'https') or not host:
        return ('%s.url is %s, which is not an http:// or https:// URL with a host; write it like %s.'
                % (where, show(url), EXAMPLE_URL))
    if '@' in parts.netloc:
        return ('%s.url is %s, which carries credentials; move them to basic_auth, whose password goes to a '
                '0640 file and never into prometheus.yml or the log.' % (where, show(url)))
    return None


def _check_auth(where, entry):
    if 'basic_auth' in entry and 'bearer_token' in entry:
        return ('%s sets both basic_auth and bearer_token; a store takes one kind of auth, so keep the one it '
                'expects.' % where)
    if 'basic_auth' in entry:
        auth = entry['basic_auth']
        if not isinstance(auth, dict):
            return '%s.basic_auth is not a mapping; write it as {username: ..., password: ...}.' % where
        unknown = _unknown(auth, ('username', 'password'))
        if unknown:
            return '%s.basic_auth has the unknown key(s) %s; give only username and password.' % (
                where, ', '.join(unknown))
        user = auth.get('username')
        if not isinstance(user, str) or not user:
            return '%s.basic_auth has no username (it is %s); set basic_auth.username.' % (where, show(user))
        password = auth.get('password')
        if not isinstance(password, str) or not password:
            return ('%s.basic_auth (username %s) has no password; set basic_auth.password, for example from '
                    'ansible-vault.' % (where, show(user)))
    if 'bearer_token' in entry:
        token = entry['bearer_token']
        if not isinstance(token, str) or not token:
            return ('%s.bearer_token is empty or not text; set it to the token, for example from ansible-vault, '
                    'or remove it.' % where)
    return None


def _check_headers(where, entry):
    headers = entry.get('headers')
    if headers is None and 'headers' not in entry:
        return None
    if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        return ('%s.headers is not a mapping of header names to text; write it like {X-Scope-OrgID: coinpilot}.'
                % where)
    reserved = sorted(k for k in headers if k.lower() in RESERVED_HEADERS)
    if reserved:
        return ('%s.headers sets %s, which Prometheus does not allow there; for credentials use bearer_token or '
                'basic_auth, which keep the secret in a 0640 file.' % (where, ', '.join(reserved)))
    return None


def _check_tls(where, entry):
    if 'tls_config' not in entry:
        return None
    tls = entry['tls_config']
    if not isinstance(tls, dict):
        return ('%s.tls_config is %s, not a mapping; write it like {ca_file: /etc/prometheus/ca.crt, '
                'server_name: vm.internal}.' % (where, show(tls)))
    unknown = _unknown(tls, TLS_KEYS)
    if unknown:
        return '%s.tls_config has the unknown key(s) %s; use only %s.' % (where, ', '.join(unknown), _keys(TLS_KEYS))
    if 'insecure_skip_verify' in tls and not isinstance(tls['insecure_skip_verify'], bool):
        return '%s.tls_config.insecure_skip_verify is %s; set it to true or false.' % (
            where, show(tls['insecure_skip_verify']))
    return None


def _check_queue(where, entry):
    if 'queue_config' not in entry:
        return None
    queue = entry['queue_config']
    if not isinstance(queue, dict):
        return ('%s.queue_config is %s, not a mapping; write it like {capacity: 10000, max_shards: 50}.'
                % (where, show(queue)))
    unknown = _unknown(queue, QUEUE_KEYS)
    if unknown:
        return '%s.queue_config has the unknown key(s) %s; use only %s.' % (
            where, ', '.join(unknown), _keys(QUEUE_KEYS))
    for key in QUEUE_INTS:
        if key in queue and not (_is_int(queue[key]) and queue[key] >= 1):
            return ("%s.queue_config.%s is %s; set it to a whole number of 1 or more, or leave it out for "
                    "Prometheus' default." % (where, key, show(queue[key])))
    for key in QUEUE_DURATIONS:
        if key in queue and not _is_duration(queue[key]):
            return '%s.queue_config.%s is %s; write a Prometheus duration such as 5s or 100ms.' % (
                where, key, show(queue[key]))
    if 'retry_on_http_429' in queue and not isinstance(queue['retry_on_http_429'], bool):
        return '%s.queue_config.retry_on_http_429 is %s; set it to true or false.' % (
            where, show(queue['retry_on_http_429']))
    if 'min_shards' in queue and 'max_shards' in queue and queue['min_shards'] > queue['max_shards']:
        return '%s.queue_config.min_shards is %d, above max_shards (%d); lower min_shards or raise max_shards.' % (
            where, queue['min_shards'], queue['max_shards'])
    if 'min_backoff' in queue and 'max_backoff' in queue \
            and parse_duration(queue['min_backoff']) > parse_duration(queue['max_backoff']):
        return ("%s.queue_config.min_backoff is %s, longer than max_backoff (%s); make min_backoff the shorter."
                % (where, show(queue['min_backoff']), show(queue['max_backoff'])))
    return None


def _check_relabel(where, entry):
    if 'write_relabel_configs' not in entry:
        return None
    rules = entry['write_relabel_configs']
    if not isinstance(rules, (list, tuple)):
        return ('%s.write_relabel_configs is %s, not a list of mappings; write it as a list of relabel rules, '
                'for example [%s].' % (where, show(rules), EXAMPLE_RULE))
    for index, rule in enumerate(rules):
        at = '%s.write_relabel_configs[%d]' % (where, index)
        if not isinstance(rule, dict):
            return '%s is %s, not a mapping; write each rule as a mapping, for example %s.' % (
                at, show(rule), EXAMPLE_RULE)
        unknown = _unknown(rule, RELABEL_KEYS)
        if unknown:
            return '%s has the unknown key(s) %s; use only %s.' % (at, ', '.join(unknown), _keys(RELABEL_KEYS))
        if 'action' in rule and rule['action'] not in RELABEL_ACTIONS:
            return '%s.action is %s; use one of %s.' % (at, show(rule['action']), ', '.join(RELABEL_ACTIONS))
    return None


def remote_write_problems(entries, name='prometheus_remote_write'):
    """One sentence per problem in ``entries``; empty when they are fine."""
    if entries is None or entries == '':
        return []
    if not isinstance(entries, (list, tuple)):
        return ['%s is %s, not a list; give a list of entries, each with a url, for example [{url: %s}].'
                % (name, show(entries), EXAMPLE_URL)]
    problems = []
    names = {}
    for index, entry in enumerate(entries):
        where = '%s[%d]' % (name, index)
        if not isinstance(entry, dict):
            problems.append('%s is %s, not a mapping; give each entry as a mapping with at least a url, for '
                            'example {url: %s}.' % (where, show(entry), EXAMPLE_URL))
            continue
        unknown = _unknown(entry, ENTRY_KEYS)
        if unknown:
            problems.append('%s has the unknown key(s) %s; use only %s.' % (
                where, ', '.join(unknown), _keys(ENTRY_KEYS)))
            continue
        problem = _check_url(where, entry)
        if not problem and 'name' in entry:
            if not isinstance(entry['name'], str) or not entry['name']:
                problem = '%s.name is %s; give the queue a name in text, or leave it out.' % (where, show(entry['name']))
            elif entry['name'] in names:
                problem = '%s.name is %s, which %s[%d] already uses; give each entry its own name.' % (
                    where, show(entry['name']), name, names[entry['name']])
            else:
                names[entry['name']] = index
        if not problem and 'remote_timeout' in entry and not _is_duration(entry['remote_timeout']):
            problem = '%s.remote_timeout is %s; write a Prometheus duration such as 30s.' % (
                where, show(entry['remote_timeout']))
        for check in (_check_auth, _check_headers, _check_tls, _check_queue, _check_relabel):
            if problem:
                break
            problem = check(where, entry)
        if problem:
            problems.append(problem)
    return problems


class FilterModule(object):

    def filters(self):
        return {'remote_write_problems': remote_write_problems}
