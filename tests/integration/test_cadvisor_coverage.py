# -*- coding: utf-8 -*-
"""cadvisor_coverage against the real Prometheus, scraping the real cAdvisor.

cAdvisor 0.38.7 (Debian's package) runs three times on this machine's own
Docker engine (see conftest.py): with the upstream mounts (job cadvisor),
without them (job cadvisor-rootonly: it sees only its own cgroup, "/"), and
with its Docker client pointed at no engine (job cadvisor-noname: its Docker
factory fails and it exports the containers' cgroups without names, the
seed's failure). The running containers are the test's own, as
``docker inspect`` describes them, or come from a Docker Engine API stand-in
on a Unix socket; one test reads the real Docker socket.
"""

import json
import os
import subprocess

import standins


def _names(containers):
    return [c['Names'][0].lstrip('/') for c in containers]


def test_full_coverage(stack, stack_containers, run_module):
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'containers': stack_containers, 'wait_timeout': 30,
                                              'report_check': 'cadvisor'})
    assert result['failed'] is False, result.get('msg')
    assert result['changed'] is False
    assert result['coverage'] == {'seen': 4, 'running': 4, 'text': '4/4'}
    assert result['row'] == {'check': 'cadvisor', 'ok': True, 'detail': '4/4 running containers seen'}
    assert result['seen'] == _names(stack_containers)
    assert result['missing'] == []
    assert result['diagnoses'] == []
    assert 'evidence' not in result


def test_containers_in_docker_host_info_shape(stack, stack_containers, run_module):
    # community.docker.docker_host_info returns Id, Image, Command, Created, Status, Ports, Names
    info = [{'Id': c['Id'], 'Image': c['Image'], 'Names': c['Names'], 'Status': 'Up 1 minute'} for c in stack_containers]
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'containers': info, 'wait_timeout': 30})
    assert result['coverage']['text'] == '4/4', result.get('msg')


def test_matched_by_name_when_id_differs(stack, stack_containers, run_module):
    renamed = [dict(stack_containers[0], Id='f' * 64)]
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'containers': renamed, 'wait_timeout': 30})
    assert result['failed'] is False, result.get('msg')
    assert result['seen'] == [stack['node']['name']]


def test_containers_read_from_docker_socket(stack, stack_containers, run_module, docker_socket):
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'docker_host': docker_socket.url})
    assert result['running'] == ['prometheus', 'grafana', 'coinpilot-core']
    # Those three exist only on the stand-in socket; the real cAdvisor never saw them.
    assert result['failed'] is True
    assert [c['name'] for c in result['missing']] == ['prometheus', 'grafana', 'coinpilot-core']


def test_missing_container_is_named(stack, stack_containers, run_module):
    ghost = standins.docker_containers_json([('coinpilot-core', 'c3' * 32, 'coinpilot/core:1.4')])
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'containers': stack_containers + ghost,
                                              'wait_timeout': 5, 'report_check': 'cadvisor'})
    assert result['failed'] is True
    assert result['row'] == {'check': 'cadvisor', 'ok': False, 'detail': result['msg']}
    assert result['missing'] == [{'name': 'coinpilot-core', 'id': 'c3' * 32, 'image': 'coinpilot/core:1.4'}]
    assert result['diagnoses'] == []
    assert result['msg'] == 'cAdvisor (job cadvisor) sees 4/5 running containers; missing: coinpilot-core'
    ignored = run_module('cadvisor_coverage', {'url': stack['url'], 'containers': stack_containers + ghost,
                                               'ignore_containers': ['coinpilot-core'], 'wait_timeout': 30})
    assert ignored['failed'] is False, ignored.get('msg')
    assert ignored['coverage']['text'] == '4/4'


def test_root_cgroup_only(stack, stack_containers, run_module):
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'job': 'cadvisor-rootonly',
                                              'containers': stack_containers, 'wait_timeout': 5})
    assert result['failed'] is True
    assert [d['name'] for d in result['diagnoses']] == ['root_cgroup_only']
    assert 'only the root cgroup (id="/")' in result['diagnoses'][0]['cause']
    assert 'cgroupns "host"' in result['diagnoses'][0]['fix']
    assert result['coverage']['text'] == '0/4'
    assert result['msg'].startswith('cAdvisor (job cadvisor-rootonly) sees 0/4 running containers; missing: %s; '
                                    'diagnosis root_cgroup_only: cAdvisor exports only the root cgroup'
                                    % ', '.join(_names(stack_containers)))


def test_no_name_labels_names_what_the_live_system_says(stack, stack_containers, run_module):
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'job': 'cadvisor-noname',
                                              'containers': stack_containers, 'wait_timeout': 5})
    assert result['failed'] is True
    assert [d['name'] for d in result['diagnoses']] == ['no_name_labels']
    assert 'Docker API version mismatch' in result['diagnoses'][0]['cause']
    # matched by id all the same: the containers are there, only unnamed
    assert result['coverage']['text'] == '4/4'
    # cAdvisor's own version info, and this engine's /version
    assert result['evidence']['cadvisor'] == {'cadvisorVersion': '0.38.7+ds1', 'dockerVersion': 'Unknown'}
    engine = json.loads(subprocess.run(['docker', 'version', '--format', '{{json .Server}}'], capture_output=True,
                                       text=True, check=True).stdout)
    assert result['evidence']['engine']['MinAPIVersion'] == engine['MinAPIVersion']
    assert ('diagnosis no_name_labels: cAdvisor 0.38.7+ds1 reports cadvisor_version_info{dockerVersion="Unknown"} '
            '(its Docker client is not connected); the engine, Docker %s, serves API %s to %s (MinAPIVersion %s). '
            'cAdvisor exports container cgroups without name and image labels'
            % (engine['Version'], engine['MinAPIVersion'], engine['ApiVersion'], engine['MinAPIVersion'])) in result['msg']
    assert '\n' not in result['msg']


def test_no_series_for_job(stack, stack_containers, run_module):
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'job': 'cadvisr', 'containers': stack_containers})
    assert result['failed'] is True
    assert [d['name'] for d in result['diagnoses']] == ['no_series']
    assert 'job "cadvisr"' in result['diagnoses'][0]['cause']


def test_real_docker_socket_lists_the_test_containers(stack, stack_containers, run_module):
    """Reads the engine this machine runs: the test's own containers are among
    the running ones, and the healthy cAdvisor sees them by name."""
    sock = 'unix:///var/run/docker.sock'
    assert os.path.exists('/var/run/docker.sock'), 'the Docker socket is missing'
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'docker_host': sock, 'wait_timeout': 5})
    for name in _names(stack_containers):
        assert name in result['running']
        assert name in result['seen']


def test_engine_info_reads_the_real_engine(stack, stack_containers, run_module):
    """engine_info against the engine this machine runs: its API versions, and
    the test's own containers with the detail the port check reads."""
    result = run_module('engine_info', {'docker_host': 'unix:///var/run/docker.sock', 'paths': ['/dev/null', '/nonexistent'],
                                        'images': ['coinpilot-rig/absent:0']})
    assert result['failed'] is False, result.get('msg')
    assert result['can_talk_to_docker'] is True
    assert result['version']['ApiVersion'] and result['version']['MinAPIVersion']
    assert result['host_info']['DockerRootDir'] and isinstance(result['root_dir_free_mb'], int)
    listed = {name.lstrip('/'): c for c in result['containers'] for name in c['Names']}
    for name in _names(stack_containers):
        assert 'Ports' in listed[name] and 'HostConfig' in listed[name]
    assert result['paths'] == {'/dev/null': True, '/nonexistent': False}
    assert result['images'] == {'coinpilot-rig/absent:0': None}
