#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: directories
short_description: Ensure several directories, each with its owner, group and mode, in one call
version_added: 0.2.0
description:
  - Does for each entry of O(paths) what M(ansible.builtin.file) does with C(state=directory). It creates the
    directory and its missing parents, and sets the owner, group and mode of each directory it creates and of the
    one named.
  - One module call for all of a role's directories instead of one per directory, so an idempotent rerun pays one
    round trip to the host where a loop paid one per item.
  - Owner, group and mode are set by Ansible's own file-attribute helpers, as M(ansible.builtin.file) sets them.
author:
  - CoinPilot platform team (@coinpilot)
attributes:
  check_mode:
    support: full
    description: Reports the directories it would create or change, and touches none.
  diff_mode:
    support: none
    description: There is no diff; RV(changed_paths) names what changed.
options:
  paths:
    description: The directories, in order; a parent listed before its children is created first.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      owner:
        description: Its owner, a name or a uid; unset leaves it as it is.
        type: str
      group:
        description: Its group, a name or a gid; unset leaves it as it is.
        type: str
      mode:
        description: Its mode, as M(ansible.builtin.file) takes it (V('0750'), V(u=rwx,g=rx,o=)); unset leaves it.
        type: raw
'''

EXAMPLES = r'''
- name: Create the config directories
  coinpilot.monitoring.directories:
    paths:
      - {path: /opt/monitoring/prometheus, owner: root, group: "65534", mode: "0750"}
      - {path: /opt/monitoring/prometheus/config, owner: root, group: "65534", mode: "0750"}
'''

RETURN = r'''
changed_paths:
  description: The directories created, or whose owner, group or mode was set (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/opt/monitoring/prometheus/config]
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native


def _missing_parts(b_path):
    """The directories from the first missing ancestor down to ``b_path``."""
    missing = []
    while not os.path.lexists(b_path):
        missing.insert(0, b_path)
        parent = os.path.dirname(b_path)
        if parent == b_path:
            break
        b_path = parent
    return missing


def _ensure(module, entry):
    """Create ``entry``'s directory and its missing parents; set their
    attributes. Returns whether anything changed (or would)."""
    b_path = to_bytes(entry['path'], errors='surrogate_or_strict')
    if os.path.lexists(b_path) and not os.path.isdir(b_path):
        module.fail_json(msg='%s exists and is not a directory; move it away, or name another directory.' % entry['path'])
    created = _missing_parts(b_path)
    if module.check_mode:
        # A directory that does not exist yet has no attributes to compare.
        return bool(created) or module.set_fs_attributes_if_different(module.load_file_common_arguments(entry), False)
    changed = False
    for b_part in created:
        os.mkdir(b_part)
        args = module.load_file_common_arguments(entry, path=to_native(b_part, errors='surrogate_or_strict'))
        changed = module.set_fs_attributes_if_different(args, True, expand=False)
    if not created:
        changed = module.set_fs_attributes_if_different(module.load_file_common_arguments(entry), False)
    return changed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type='list', elements='dict', required=True, options=dict(
                path=dict(type='path', required=True),
                owner=dict(type='str'),
                group=dict(type='str'),
                mode=dict(type='raw'),
            )),
        ),
        supports_check_mode=True,
    )
    changed_paths = []
    for entry in module.params['paths']:
        try:
            if _ensure(module, entry):
                changed_paths.append(entry['path'])
        except OSError as exc:
            module.fail_json(msg='Could not create or set up the directory %s: %s' % (entry['path'], exc.strerror or exc))
    module.exit_json(changed=bool(changed_paths), changed_paths=changed_paths)


if __name__ == '__main__':
    main()
