#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: release_manifest
short_description: Read, fingerprint and prune the monitoring stack's release records
version_added: 0.1.0
description:
  - The release role records each deployed state as a release, C(<dir>/<id>/manifest.json), and links
    C(<dir>/current) to the live one. This module is its one reader of those records.
  - O(command=read) returns the live release's manifest.
  - O(command=compare) fingerprints a deployed state (rendered files, image ids, role variables) and says
    whether it differs from the live release, so a rerun that changed nothing writes no release.
  - O(command=pick) picks the release to restore, O(release) or else the newest one older than the live one,
    and returns its manifest; it fails, naming the releases there are, when there is no such release.
  - O(command=prune) removes the releases beyond the newest O(keep), never the live one.
author:
  - CoinPilot platform team (@coinpilot)
attributes:
  check_mode:
    support: full
    description: O(command=prune) reports the releases it would remove and removes none.
  diff_mode:
    support: none
    description: There is no diff.
options:
  dir:
    description: The directory that holds the releases and the C(current) link.
    type: path
    required: true
  command:
    description: What to do.
    type: str
    choices: [read, compare, pick, prune]
    default: read
  files:
    description: With O(command=compare), each rendered file's path and checksum.
    type: dict
    default: {}
  images:
    description: With O(command=compare), each role's image, as a dict with at least C(image_id).
    type: dict
    default: {}
  variables:
    description: With O(command=compare), the effective role variables the release records.
    type: dict
    default: {}
  release:
    description: With O(command=pick), the id of the release to restore; empty for the one before the live one.
    type: str
    default: ''
  keep:
    description: With O(command=prune), how many of the newest releases stay. At least V(1).
    type: int
    default: 5
'''

EXAMPLES = r'''
- name: Read the live release
  coinpilot.monitoring.release_manifest:
    dir: /opt/coinpilot-monitoring/releases
  register: live

- name: Keep the three newest releases
  coinpilot.monitoring.release_manifest:
    dir: /opt/coinpilot-monitoring/releases
    command: prune
    keep: 3
'''

RETURN = r'''
manifest:
  description: The live release's manifest (with O(command=pick), the picked one's); empty when the host has none.
  returned: with O(command=read), O(command=compare) and O(command=pick)
  type: dict
id:
  description: The live release's id (with O(command=pick), the picked one's); empty when the host has none.
  returned: with O(command=read), O(command=compare) and O(command=pick)
  type: str
  sample: 20261203T101500Z-1a2b3c4d
fingerprint:
  description: The sha256 of the deployed state given.
  returned: with O(command=compare)
  type: str
is_new:
  description: Whether the deployed state differs from the live release (true when there is none).
  returned: with O(command=compare)
  type: bool
removed:
  description: The ids of the releases removed (in check mode, that would be removed).
  returned: with O(command=prune)
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.coinpilot.monitoring.plugins.module_utils._release import (
    ManifestError, current_id, fingerprint, pick, prune, read_current, read_manifest, release_ids)


def run(module):
    p = module.params
    if p['command'] == 'prune':
        if p['keep'] < 1:
            module.fail_json(msg='Option keep must be at least 1, got %d' % p['keep'])
        removed = prune(p['dir'], p['keep'], current_id(p['dir']), module.check_mode)
        module.exit_json(changed=bool(removed), removed=removed)
    if p['command'] == 'pick':
        chosen = pick(release_ids(p['dir']), current_id(p['dir']), p['release'])
        manifest = read_manifest(p['dir'], chosen)
        if not manifest:
            raise ManifestError('Release %s in %s has no manifest.json' % (chosen, p['dir']))
        module.exit_json(changed=False, id=chosen, manifest=manifest)
    live = read_current(p['dir'])
    result = dict(changed=False, manifest=live, id=live.get('id', ''))
    if p['command'] == 'compare':
        result['fingerprint'] = fingerprint(p['files'], p['images'], p['variables'])
        result['is_new'] = not live or live.get('fingerprint') != result['fingerprint']
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dir=dict(type='path', required=True),
            command=dict(type='str', choices=['read', 'compare', 'pick', 'prune'], default='read'),
            release=dict(type='str', default=''),
            files=dict(type='dict', default={}),
            images=dict(type='dict', default={}),
            variables=dict(type='dict', default={}),
            keep=dict(type='int', default=5),
        ),
        supports_check_mode=True,
    )
    try:
        run(module)
    except ManifestError as exc:
        module.fail_json(msg=str(exc), changed=False)
    except OSError as exc:
        module.fail_json(msg='Release records in %s: %s' % (module.params['dir'], exc))


if __name__ == '__main__':
    main()
