# -*- coding: utf-8 -*-
"""cadvisor_coverage against the real Prometheus, scraping a cAdvisor stand-in.

There is no real cAdvisor on this machine. The stand-in (standins.py) serves
cAdvisor's container_last_seen series in Prometheus' text format, with the
labels real cAdvisor sets (id, name, image; cgroupfs and systemd cgroup ids),
in four shapes scraped as four jobs: healthy (cadvisor), root cgroup only,
containers without name/image labels (the Docker factory failure), and two
of three containers. The running containers come from the ``containers``
option or a Docker Engine API stand-in on a Unix socket (GET /containers/json,
in the documented shape); one test reads the real Docker socket.
"""

import os

import standins

RUNNING = standins.docker_containers_json()


def test_full_coverage(stack, run_module):
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'containers': RUNNING, 'wait_timeout': 10})
    assert result['failed'] is False, result.get('msg')
    assert result['changed'] is False
    assert result['coverage'] == {'seen': 3, 'running': 3, 'text': '3/3'}
    assert result['seen'] == ['prometheus', 'grafana', 'coinpilot-core']
    assert result['missing'] == []
    assert result['diagnoses'] == []
    assert result['series'] == 5


def test_containers_in_docker_host_info_shape(stack, run_module):
    # community.docker.docker_host_info returns Id, Image, Command, Created, Status, Ports, Names
    info = [{k: c[k] for k in ('Id', 'Image', 'Command', 'Created', 'Status', 'Ports', 'Names')} for c in RUNNING]
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'containers': info})
    assert result['coverage']['text'] == '3/3'


def test_matched_by_name_when_id_differs(stack, run_module):
    renamed = [dict(RUNNING[0], Id='f' * 64)]
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'containers': renamed})
    assert result['failed'] is False
    assert result['seen'] == ['prometheus']


def test_containers_read_from_docker_socket(stack, run_module, docker_socket):
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'docker_host': docker_socket.url})
    assert result['failed'] is False, result.get('msg')
    assert result['running'] == ['prometheus', 'grafana', 'coinpilot-core']


def test_missing_container_is_named(stack, run_module):
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'job': 'cadvisor-partial', 'containers': RUNNING})
    assert result['failed'] is True
    assert result['missing'] == [{'name': 'coinpilot-core', 'id': 'c3' * 32, 'image': 'coinpilot/core:1.4'}]
    assert result['diagnoses'] == []
    assert result['msg'] == 'cAdvisor (job cadvisor-partial) sees 2/3 running containers; missing: coinpilot-core'
    ignored = run_module('cadvisor_coverage', {'url': stack['url'], 'job': 'cadvisor-partial', 'containers': RUNNING,
                                               'ignore_containers': ['coinpilot-core']})
    assert ignored['failed'] is False
    assert ignored['coverage']['text'] == '2/2'


def test_root_cgroup_only(stack, run_module):
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'job': 'cadvisor-rootonly', 'containers': RUNNING})
    assert result['failed'] is True
    assert [d['name'] for d in result['diagnoses']] == ['root_cgroup_only']
    assert 'only the root cgroup (id="/")' in result['diagnoses'][0]['cause']
    assert 'cgroupns "host"' in result['diagnoses'][0]['fix']
    assert result['coverage']['text'] == '0/3'
    assert result['msg'].startswith('cAdvisor (job cadvisor-rootonly) sees 0/3 running containers; missing: '
                                    'prometheus, grafana, coinpilot-core; diagnosis root_cgroup_only: cAdvisor '
                                    'exports only the root cgroup')


def test_no_name_labels(stack, run_module):
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'job': 'cadvisor-noname', 'containers': RUNNING})
    assert result['failed'] is True
    assert [d['name'] for d in result['diagnoses']] == ['no_name_labels']
    assert 'Docker API version mismatch' in result['diagnoses'][0]['cause']
    assert 'Registration of the docker container factory failed' in result['diagnoses'][0]['fix']
    # matched by id all the same: the containers are there, only unnamed
    assert result['coverage']['text'] == '3/3'
    assert 'diagnosis no_name_labels' in result['msg']


def test_no_series_for_job(stack, run_module):
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'job': 'cadvisr', 'containers': RUNNING})
    assert result['failed'] is True
    assert [d['name'] for d in result['diagnoses']] == ['no_series']
    assert 'job "cadvisr"' in result['diagnoses'][0]['cause']


def test_real_docker_socket_lists_the_test_containers(stack, run_module):
    """Reads the engine this machine runs; the test's own Prometheus container
    must be among the running containers."""
    sock = 'unix:///var/run/docker.sock'
    assert os.path.exists('/var/run/docker.sock'), 'the Docker socket is missing'
    result = run_module('cadvisor_coverage', {'url': stack['url'], 'docker_host': sock})
    assert stack['prometheus']['name'] in result['running']
    # the stand-in knows none of the real containers, so they are all missing
    assert stack['prometheus']['name'] in [c['name'] for c in result['missing']]
    assert result['failed'] is True
