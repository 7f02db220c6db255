# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
name: argument_problems
short_description: One sentence per role variable that does not fit the role's argument spec
version_added: 0.2.0
description:
  - Validates each variable on its own against its entry in a role's C(meta/argument_specs.yml), with the same
    validator Ansible uses for role arguments, and returns one line per variable that does not fit. Each line names
    the variable, its value and the fix (the type, or the choices, the spec asks for).
  - Ansible's own validation of a role's arguments stops with every error and the whole spec, several kilobytes;
    the preflights use this filter instead, so a bad input stops the run in one line, before anything changes.
  - A variable whose spec sets C(no_log) is shown as C(********).
  - A text variable whose name ends in C(_image) must also be an image reference as the collection writes them (a
    lower-case name, a tag or C(@sha256:) digest, no spaces), since a typo would otherwise surface later as some
    other, misleading error from the engine. These lines come after the type lines.
author:
  - CoinPilot platform team (@coinpilot)
options:
  _input:
    description: The variables' values by name. A variable left out, or given as O(unset), is not checked.
    type: dict
    required: true
  spec:
    description: The C(options) of one entry point of the role's argument spec.
    type: dict
    required: true
  unset:
    description: The value that marks a variable with no value.
    type: str
    default: __unset__
'''

EXAMPLES = r'''
- name: Check the variables against the argument spec
  vars:
    _spec: "{{ lookup('coinpilot.monitoring.role_options', 'node_exporter') }}"
    _values: "{{ dict(_spec.keys() | zip(query('ansible.builtin.vars', *_spec.keys(), default='__unset__'))) }}"
    _problems: "{{ _values | coinpilot.monitoring.argument_problems(_spec) }}"
  ansible.builtin.assert:
    that: _problems | length == 0
    fail_msg: "{{ _problems | first | default('') }}"
    quiet: true
'''

RETURN = r'''
_value:
  description: One sentence per variable that does not fit, in the spec's order; empty when all fit.
  type: list
  elements: str
'''

import json
import re

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import ArgumentTypeError, ArgumentValueError

TYPE_WORDS = {
    'str': 'text',
    'int': 'a whole number',
    'float': 'a number',
    'bool': 'true or false',
    'list': 'a list',
    'dict': 'a mapping',
    'path': 'a path',
    'raw': 'a value',
}
SHOWN = 60

# Docker's reference grammar, without the parts this collection never needs
# (it pins by tag or digest).
IMAGE_REFERENCE = re.compile(
    r'^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*'
    r'(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$')


def _shown(value, secret):
    if secret:
        return '********'
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= SHOWN else text[:SHOWN - 3] + '...'


def _expected(option):
    if option.get('choices'):
        return 'one of ' + ', '.join(str(c) for c in option['choices'])
    words = TYPE_WORDS.get(option.get('type', 'str'), option.get('type'))
    if option.get('type') == 'list' and option.get('elements'):
        words += ' of ' + {'str': 'text', 'dict': 'mappings', 'int': 'whole numbers'}.get(
            option['elements'], option['elements'])
        if option.get('options'):
            required = sorted(k for k, o in option['options'].items() if o.get('required'))
            keys = ', '.join(sorted(option['options']))
            words += (' with %s' % ', '.join(required) if required else '') + ' (keys: %s)' % keys
    elif option.get('type') == 'dict' and option.get('options'):
        words += ' (keys: %s)' % ', '.join(sorted(option['options']))
    return words


def _plain(value):
    # Ansible hands a filter its lists and mappings as lazy containers, and
    # the validator deep-copies what it checks: copying one drags the whole
    # templating context along, about 0.3 s a call. Plain copies cost nothing.
    if isinstance(value, Mapping):
        return dict((key, _plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _reason(name, error):
    # A top-level type or choice error says nothing the fix does not; a nested
    # one (a key of a list entry) is worth its own words.
    if isinstance(error, (ArgumentTypeError, ArgumentValueError)) and error.msg.startswith(
            ("argument '%s' is of type" % name, 'value of %s must be' % name)):
        return ''
    return ' (%s)' % error.msg.rstrip('.')


def argument_problems(values, spec, unset='__unset__'):
    if not isinstance(values, dict) or not isinstance(spec, dict):
        raise AnsibleFilterError('argument_problems needs a mapping of values and a mapping of options')
    values, spec = _plain(values), _plain(spec)
    problems = []
    for name, option in spec.items():
        if name not in values or values[name] == unset:
            continue
        secret = option.get('no_log', False)
        # Ansible splits text at commas into a list and reads k=v text as a
        # mapping; a role that adds or loops over the value would then fail
        # much later, so text is never a list or a mapping here.
        if option.get('type') in ('list', 'dict') and isinstance(values[name], str):
            problems.append('%s is %s, which is text; set it to %s.' % (
                name, _shown(values[name], secret), _expected(option)))
            continue
        # The result's error container is always true; its list is not.
        errors = ArgumentSpecValidator({name: option}).validate({name: values[name]}).errors.errors
        if errors:
            problems.append('%s is %s%s; set it to %s.' % (
                name, _shown(values[name], secret), _reason(name, errors[0]), _expected(option)))
    for name in spec:
        value = values.get(name, unset)
        if name.endswith('_image') and value != unset and isinstance(value, str) and not IMAGE_REFERENCE.match(value):
            problems.append('%s is %s, which is not an image reference; write it like prom/prometheus:v3.5.3 '
                            '(lower-case name, a tag or @sha256: digest, no spaces).' % (name, json.dumps(value)))
    return problems


class FilterModule(object):
    def filters(self):
        return {'argument_problems': argument_problems}
