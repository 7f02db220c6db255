#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: files
short_description: Ensure a role's directories and files, and nothing else in the directories it owns, in one call
version_added: 0.2.0
description:
  - Does for each of O(directories) what M(ansible.builtin.file) does with C(state=directory). It creates the
    directory and its missing parents, and sets the owner, group and mode of each directory it creates and of the
    one named.
  - Then does for each of O(files) what M(ansible.builtin.copy) does with C(content). A file is written only when
    its content differs, through a temp file in the same directory that its C(validate) command must accept
    first, and moved into place in one step; its owner, group and mode are set either way.
  - Then removes whatever else each of O(exclusive) holds, and each of O(absent), so a file the role no longer
    renders does not linger.
  - One module call for all of a role's files instead of one per file and one more to look for stale ones, so an
    idempotent rerun pays one round trip to the host.
  - The content of a secret file goes in O(secret_contents), which Ansible keeps out of every output; such a file
    has no diff.
author:
  - CoinPilot platform team (@coinpilot)
attributes:
  check_mode:
    support: full
    description: Reports what it would create, write, set or remove, and touches nothing.
  diff_mode:
    support: partial
    description: The content of each file it writes, before and after; none for a secret file or one above 100 KiB.
options:
  directories:
    description: The directories, in order; a parent listed before its children is created first.
    type: list
    elements: dict
    default: []
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
        description: Its mode, as M(ansible.builtin.file) takes it; unset leaves it.
        type: raw
  files:
    description: The files. Each directory a file is in must exist, or be among O(directories).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file.
        type: path
        required: true
      content:
        description: Its content. Required unless O(secret_contents) has the file's path.
        type: str
      owner:
        description: Its owner, a name or a uid; unset leaves it as it is.
        type: str
      group:
        description: Its group, a name or a gid; unset leaves it as it is.
        type: str
      mode:
        description: Its mode, as M(ansible.builtin.copy) takes it; unset leaves it.
        type: raw
      validate:
        description: A command, with C(%s) for the new file, that must succeed before the file replaces the live one.
        type: str
  secret_contents:
    description: The content of each secret file, by its path in O(files).
    type: dict
    default: {}
  exclusive:
    description:
      - Directories that hold only what O(files) and O(directories) name; anything else in them is removed
        (a directory with what it holds). Their subdirectories are not looked into.
    type: list
    elements: path
    default: []
  absent:
    description:
      - Files the role no longer renders, in directories it shares with others; each is removed when it exists.
    type: list
    elements: path
    default: []
'''

EXAMPLES = r'''
- name: Write Grafana's provisioning files and dashboards, and remove dashboards no longer listed
  coinpilot.monitoring.files:
    directories:
      - {path: /opt/monitoring/grafana/dashboards, owner: root, group: root, mode: "0750"}
    files:
      - {path: /opt/monitoring/grafana/dashboards/overview.json, content: "{{ lookup('file', 'overview.json') }}", mode: "0640"}
      - {path: /opt/monitoring/grafana/secrets/admin_password, mode: "0640"}
    secret_contents:
      /opt/monitoring/grafana/secrets/admin_password: "{{ grafana_admin_password }}"
    exclusive: [/opt/monitoring/grafana/dashboards]
  register: grafana_files
'''

RETURN = r'''
changed_paths:
  description: The directories and files created, written or whose attributes were set (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/opt/monitoring/grafana/dashboards/overview.json]
failed_path:
  description: The file whose C(validate) command refused its new content; the live file is unchanged, and the files
    after it in O(files) were not looked at.
  returned: when a file fails to validate
  type: str
removed:
  description: What was removed from O(exclusive), and which of O(absent) (or would be, in check mode).
  returned: always
  type: list
  elements: str
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.coinpilot.monitoring.plugins.module_utils._files import ensure_directory, ensure_file, remove_paths, remove_unlisted

_ATTRS = dict(owner=dict(type='str'), group=dict(type='str'), mode=dict(type='raw'))


def run(module):
    p = module.params
    changed_paths, diffs = [], []
    for entry in p['directories']:
        if ensure_directory(module, entry):
            changed_paths.append(entry['path'])
    for entry in p['files']:
        secret = entry['path'] in p['secret_contents']
        content = p['secret_contents'][entry['path']] if secret else entry['content']
        if content is None:
            module.fail_json(msg='%s has no content: give it in files or in secret_contents.' % entry['path'])
        if ensure_file(module, entry, content, None if secret else diffs):
            changed_paths.append(entry['path'])
    keep = set(os.path.normpath(e['path']) for e in p['directories'] + p['files'])
    removed = []
    for directory in p['exclusive']:
        removed.extend(remove_unlisted(module, os.path.normpath(directory), keep))
    removed.extend(remove_paths(module, p['absent']))
    result = dict(changed=bool(changed_paths or removed), changed_paths=changed_paths, removed=removed)
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type='list', elements='dict', default=[], options=dict(path=dict(type='path', required=True), **_ATTRS)),
            files=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='path', required=True), content=dict(type='str'), validate=dict(type='str'), **_ATTRS)),
            secret_contents=dict(type='dict', default={}, no_log=True),
            exclusive=dict(type='list', elements='path', default=[]),
            absent=dict(type='list', elements='path', default=[]),
        ),
        supports_check_mode=True,
    )
    try:
        run(module)
    except OSError as exc:
        module.fail_json(msg='Could not set up %s: %s' % (exc.filename or 'a file', exc.strerror or exc))


if __name__ == '__main__':
    main()
