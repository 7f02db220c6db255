# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
name: role_var
short_description: A role variable as the play sets it, else the role's own default
version_added: 0.2.0
description:
  - Returns each named variable of this collection's roles as the play has it. A play that did not load the role
    (C(verify.yml), C(rollback.yml), a role that calls another) does not have the role's defaults; for a variable
    the play does not set, or whose value refers to something undefined in this play, the value comes from the
    owning role's C(defaults/main.yml), templated in the play's context. So C(lookup('coinpilot.monitoring.role_var',
    'x')) is C(x | default(<the role's default for x>)), with the default written once.
  - So a role's default is written once, in its C(defaults/main.yml), and every playbook and role that needs the
    value reads it from there instead of repeating it as a fallback.
  - The owning role is the one whose name, with an underscore, starts the variable's name.
author:
  - CoinPilot platform team (@coinpilot)
options:
  _terms:
    description: The variables' names.
    type: list
    elements: str
    required: true
'''

EXAMPLES = r'''
- name: Remove the exporters' containers, whatever the play calls them
  community.docker.docker_container:
    name: "{{ item }}"
    state: absent
  loop: "{{ query('coinpilot.monitoring.role_var', 'node_exporter_container_name', 'cadvisor_container_name') }}"
'''

RETURN = r'''
_raw:
  description: The values, in the order of the names.
  type: list
  elements: raw
'''

import os

from ansible.errors import AnsibleLookupError, AnsibleUndefinedVariable
from ansible.plugins.lookup import LookupBase

ROLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'roles')


def owner(name, roles):
    """The role whose prefix the variable carries: the longest one, so that
    node_exporter_x belongs to node_exporter and not to a role called node."""
    owners = [role for role in roles if name.startswith(role + '_')]
    return max(owners, key=len) if owners else None


class LookupModule(LookupBase):

    def _defaults(self, role):
        path = os.path.join(ROLES, role, 'defaults', 'main.yml')
        try:
            # Role defaults are the collection's own code: templates in them
            # are meant to be rendered (ansible-core 2.19 asks to be told).
            return self._loader.load_from_file(path, trusted_as_template=True) or {}
        except TypeError:
            return self._loader.load_from_file(path) or {}

    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        roles = sorted(r for r in os.listdir(ROLES) if not r.startswith('_'))
        values = []
        for name in terms:
            if name in variables:
                try:
                    values.append(self._templar.template(variables[name]))
                    continue
                except AnsibleUndefinedVariable:
                    # As default() would: a value this play cannot render
                    # (facts of another host it did not gather) is unset here.
                    pass
            role = owner(name, roles)
            defaults = self._defaults(role) if role else {}
            if name not in defaults:
                raise AnsibleLookupError('%s is not a variable of a coinpilot.monitoring role (%s)'
                                         % (name, 'no role default in roles/%s/defaults/main.yml' % role
                                            if role else 'no role name starts it'))
            values.append(self._templar.template(defaults[name]))
        return values
