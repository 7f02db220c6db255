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
  - O(command=collect) reads the deployed state on the host in one pass, when O(base_dir) is set. The rendered
    files are the regular files in the component directories under O(base_dir), with their sha256, less what
    O(exclude) matches. The images come from the Docker engine at O(docker_host), for each of O(containers)
    the reference, image id and repo digests of the image it runs.
  - O(command=compare) fingerprints a deployed state (rendered files, image ids, role variables) and says
    whether it differs from the live release, so a rerun that changed nothing writes no release. With
    O(base_dir) it collects the state as O(command=collect) does; otherwise it takes O(files) and O(images).
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
    choices: [read, collect, compare, pick, prune]
    default: read
  base_dir:
    description:
      - With O(command=collect) and O(command=compare), the directory whose component directories hold the
        rendered files. Each is walked except O(dir) itself and hidden ones; symlinks are not followed.
    type: path
  exclude:
    description:
      - A regular expression searched in each path relative to O(base_dir); what it finds is not collected. A
        directory it finds (with a trailing slash) is not walked at all.
    type: str
    default: ''
  containers:
    description: With O(base_dir), each role's container name, whose image to collect.
    type: dict
    default: {}
  docker_host:
    description: With O(base_dir), the Docker engine to read the containers and images from.
    type: str
    default: unix:///var/run/docker.sock
  files:
    description: With O(command=compare) and no O(base_dir), each rendered file's path and checksum.
    type: dict
    default: {}
  images:
    description: With O(command=compare) and no O(base_dir), each role's image, as a dict with at least C(image_id).
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
files:
  description: The rendered files collected, by path relative to O(base_dir), with their sha256.
  returned: with O(base_dir)
  type: dict
  sample: {"prometheus/config/prometheus.yml": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
images:
  description:
    - For each of O(containers) that exists, C(container), C(reference), C(image_id), C(repo_digests) and
      C(running).
  returned: with O(base_dir)
  type: dict
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

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.coinpilot.monitoring.plugins.module_utils._docker import check_docker_host
from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import ApiError
from ansible_collections.coinpilot.monitoring.plugins.module_utils._release import (
    ManifestError, collect_files, collect_images, current_id, fingerprint, pick, prune, read_current, read_manifest,
    release_ids)


def collect(params):
    """The deployed state as {files, images}: from the host with O(base_dir), else as given."""
    if not params['base_dir']:
        return dict(files=params['files'], images=params['images'])
    check_docker_host(params['docker_host'])
    base, releases = os.path.normpath(params['base_dir']), os.path.normpath(params['dir'])
    skip = (os.path.basename(releases),) if os.path.dirname(releases) == base else ()
    return dict(files=collect_files(base, params['exclude'], skip),
                images=collect_images(params['docker_host'], params['containers']))


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
    if p['command'] == 'collect':
        module.exit_json(changed=False, **collect(p))
    live = read_current(p['dir'])
    result = dict(changed=False, manifest=live, id=live.get('id', ''))
    if p['command'] == 'compare':
        state = collect(p)
        if p['base_dir']:
            result.update(state)
        result['fingerprint'] = fingerprint(state['files'], state['images'], p['variables'])
        result['is_new'] = not live or live.get('fingerprint') != result['fingerprint']
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dir=dict(type='path', required=True),
            command=dict(type='str', choices=['read', 'collect', 'compare', 'pick', 'prune'], default='read'),
            base_dir=dict(type='path'),
            exclude=dict(type='str', default=''),
            containers=dict(type='dict', default={}),
            docker_host=dict(type='str', default='unix:///var/run/docker.sock'),
            release=dict(type='str', default=''),
            files=dict(type='dict', default={}),
            images=dict(type='dict', default={}),
            variables=dict(type='dict', default={}),
            keep=dict(type='int', default=5),
        ),
        required_if=[('command', 'collect', ['base_dir'])],
        supports_check_mode=True,
    )
    try:
        run(module)
    except ManifestError as exc:
        module.fail_json(msg=str(exc), changed=False)
    except ApiError as exc:
        module.fail_json(msg=exc.message, changed=False)
    except re.error as exc:
        module.fail_json(msg='Option exclude is not a regular expression: %s' % exc, changed=False)
    except OSError as exc:
        module.fail_json(msg='Release records in %s: %s' % (module.params['dir'], exc))


if __name__ == '__main__':
    main()
