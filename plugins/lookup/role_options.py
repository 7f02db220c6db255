# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
name: role_options
short_description: The options one entry point of this collection's roles declares
version_added: 0.2.0
description:
  - Returns, for each named role of this collection, the C(options) of one entry point of its
    C(meta/argument_specs.yml), as a mapping of option name to its spec.
  - The preflights check a role's variables against it, and the release role records the values of the options
    it lists, so neither needs to know where a role's files are.
author:
  - CoinPilot platform team (@coinpilot)
options:
  _terms:
    description: The roles' names, without the collection's.
    type: list
    elements: str
    required: true
  entry_point:
    description: The entry point whose options to return.
    type: str
    default: main
'''

EXAMPLES = r'''
- name: The public options of the exporters' roles
  ansible.builtin.debug:
    msg: "{{ query('coinpilot.monitoring.role_options', 'node_exporter', 'cadvisor') | map('list') | flatten }}"
'''

RETURN = r'''
_raw:
  description: For each role, in the order of the names, its entry point's options by name; empty for a role
    whose argument spec lacks the entry point.
  type: list
  elements: dict
'''

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.coinpilot.monitoring.plugins.lookup.role_var import ROLES


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        entry = kwargs.get('entry_point', 'main')
        specs = []
        for role in terms:
            path = os.path.join(ROLES, role, 'meta', 'argument_specs.yml')
            if not os.path.isfile(path):
                raise AnsibleLookupError('%s is not a role of coinpilot.monitoring with an argument spec' % role)
            spec = self._loader.load_from_file(path) or {}
            specs.append(((spec.get('argument_specs') or {}).get(entry) or {}).get('options') or {})
        return specs
