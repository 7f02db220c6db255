#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
module: engine_info
short_description: Read what the preflights need of the Docker engine and its host, in one call
version_added: 0.2.0
description:
  - Asks the Docker Engine API at O(docker_host) for C(/info), C(/version) (with C(MinAPIVersion), the oldest API
    version the engine accepts), every network, every volume and every container, stopped ones too. Each comes back in the
    Engine API's own shape, as M(community.docker.docker_host_info) returns it with C(verbose_output=true).
  - Reads the labels of each image in O(images), says which of O(paths) exist on the host, and measures the free
    space in the engine's root directory, where images, volumes and the Prometheus TSDB live.
  - The preflights of all roles ask this once, before the play changes anything, instead of one module call
    per question.
  - An engine that does not answer is not a failure. RV(can_talk_to_docker) is false and RV(msg) says why, so
    each role can refuse with its own message. A malformed O(docker_host) fails.
author:
  - CoinPilot platform team (@coinpilot)
extends_documentation_fragment:
  - coinpilot.monitoring.attributes
options:
  docker_host:
    description: The Docker engine to ask.
    type: str
    default: unix:///var/run/docker.sock
  images:
    description: Image references (as C(docker run) takes them) whose labels to read.
    type: list
    elements: str
    default: []
  paths:
    description: Host paths to look for.
    type: list
    elements: path
    default: []
  timeout:
    description: Seconds each request to the engine may take.
    type: float
    default: 10
'''

EXAMPLES = r'''
- name: Read the engine, the cAdvisor image's labels and the devices it mounts
  coinpilot.monitoring.engine_info:
    images: [ghcr.io/google/cadvisor:v0.55.1]
    paths: [/dev/kmsg, /dev/disk]
  register: engine

- name: Refuse an engine that does not answer
  ansible.builtin.assert:
    that: engine.can_talk_to_docker
    fail_msg: "Docker does not answer: {{ engine.msg }}"
'''

RETURN = r'''
can_talk_to_docker:
  description: Whether the engine answered.
  returned: always
  type: bool
host_info:
  description: The engine's C(GET /info).
  returned: when RV(can_talk_to_docker) is true
  type: dict
version:
  description: The engine's C(GET /version); C(ApiVersion) and C(MinAPIVersion) among its keys.
  returned: when RV(can_talk_to_docker) is true
  type: dict
networks:
  description: The engine's networks (C(GET /networks)), each with its C(IPAM).
  returned: when RV(can_talk_to_docker) is true
  type: list
  elements: dict
volumes:
  description: The engine's volumes (the C(Volumes) of C(GET /volumes)), each with its C(Name) and C(Driver).
  returned: when RV(can_talk_to_docker) is true
  type: list
  elements: dict
containers:
  description: Every container, stopped ones too (C(GET /containers/json?all=1)), with C(Names), C(Ports), C(Labels),
    C(HostConfig) and C(Mounts).
  returned: when RV(can_talk_to_docker) is true
  type: list
  elements: dict
images:
  description: For each of O(images), its labels (an empty dict for an image without any), or null when the
    engine does not have the image.
  returned: when RV(can_talk_to_docker) is true
  type: dict
  sample: {"ghcr.io/google/cadvisor:v0.55.1": {"org.opencontainers.image.version": "v0.55.1"}}
paths:
  description: For each of O(paths), whether it exists on the host.
  returned: always
  type: dict
  sample: {"/dev/kmsg": true, "/dev/disk": true}
root_dir_free_mb:
  description: The MiB free to unprivileged writers in the engine's root directory (C(DockerRootDir)), or null when
    the directory is not on this host.
  returned: when RV(can_talk_to_docker) is true
  type: int
  sample: 20480
msg:
  description: Why the engine did not answer.
  returned: when RV(can_talk_to_docker) is false
  type: str
'''

import os
from urllib.parse import quote

from ansible_collections.coinpilot.monitoring.plugins.module_utils._docker import check_docker_host, get_json
from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import ApiError, VerifierModule, run_guarded


def image_labels(docker_host, ref, timeout):
    """The image's labels, or None when the engine lacks it."""
    try:
        image = get_json(docker_host, '/images/%s/json' % quote(ref, safe=''), timeout)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    return (image.get('Config') or {}).get('Labels') or {}


def free_mb(path):
    try:
        stat = os.statvfs(path)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize // (1024 * 1024)


def run(module):
    p = module.params
    check_docker_host(p['docker_host'])
    result = dict(changed=False, paths=dict((path, os.path.exists(path)) for path in p['paths']))
    try:
        info = get_json(p['docker_host'], '/info', p['timeout'])
    except ApiError as exc:
        module.exit_json(can_talk_to_docker=False, msg=exc.message, **result)
    result.update(
        can_talk_to_docker=True,
        host_info=info,
        version=get_json(p['docker_host'], '/version', p['timeout']),
        networks=get_json(p['docker_host'], '/networks', p['timeout']),
        volumes=get_json(p['docker_host'], '/volumes', p['timeout']).get('Volumes') or [],
        containers=get_json(p['docker_host'], '/containers/json?all=1', p['timeout']),
        images=dict((ref, image_labels(p['docker_host'], ref, p['timeout'])) for ref in p['images']),
        root_dir_free_mb=free_mb(info.get('DockerRootDir') or '/var/lib/docker'),
    )
    module.exit_json(**result)


def main():
    module = VerifierModule(
        argument_spec=dict(
            docker_host=dict(type='str', default='unix:///var/run/docker.sock'),
            images=dict(type='list', elements='str', default=[]),
            paths=dict(type='list', elements='path', default=[]),
            timeout=dict(type='float', default=10.0),
        ),
        supports_check_mode=True,
    )
    run_guarded(module, run)


if __name__ == '__main__':
    main()
