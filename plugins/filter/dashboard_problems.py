# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
name: dashboard_problems
short_description: One sentence per dashboard file that Grafana could not provision
version_added: 0.2.0
description:
  - Reads each file on the controller and returns one sentence per file that is not a Grafana dashboard Grafana's
    file provider would load, that is, not a JSON object with a C(uid). Each sentence names the variable, the file,
    the reason and the fix.
  - The grafana role's preflight fails with the first sentence, before anything on the host changes, so that a
    broken file never stops a run halfway through the provisioning.
author:
  - CoinPilot platform team (@coinpilot)
options:
  _input:
    description: Paths of dashboard JSON files on the controller.
    type: list
    elements: path
    required: true
  name:
    description: The variable name the sentences start with.
    type: str
    default: grafana_dashboards_extra
'''

EXAMPLES = r'''
- name: Check that the extra dashboards are dashboard JSON with a uid
  vars:
    _problems: "{{ grafana_dashboards_extra | coinpilot.monitoring.dashboard_problems }}"
  ansible.builtin.assert:
    that: _problems | length == 0
    fail_msg: "{{ _problems | first | default('') }}"
    quiet: true
'''

RETURN = r'''
_value:
  description: One sentence per file that is no dashboard, in the order of the paths; empty when all are.
  type: list
  elements: str
'''

import json


def _problem(path):
    try:
        with open(path) as handle:
            dashboard = json.load(handle)
    except OSError as exc:
        return 'cannot be read (%s)' % (exc.strerror or exc)
    except ValueError as exc:
        return 'is not valid JSON (%s)' % exc
    if not isinstance(dashboard, dict) or not dashboard.get('uid'):
        return 'has no dashboard uid'
    return None


def dashboard_problems(paths, name='grafana_dashboards_extra'):
    problems = []
    for path in paths or []:
        problem = _problem(path)
        if problem:
            problems.append('%s lists %s, which %s; fix the file or drop it.' % (name, path, problem))
    return problems


class FilterModule(object):
    def filters(self):
        return {'dashboard_problems': dashboard_problems}
