# -*- coding: utf-8 -*-
"""engine_info, run in-process against a stand-in Docker engine on TCP that
answers the Engine API paths the module reads."""

import os
import socket

import pytest

IMAGE = 'ghcr.io/google/cadvisor:v0.55.1'


@pytest.fixture(name='engine')
def engine_fixture(engine_standin, tmp_path):
    engine_standin.routes.update({
        '/info': (200, {'DockerRootDir': str(tmp_path), 'CgroupVersion': '2', 'DriverStatus': [['Backing Filesystem', 'extfs']]}),
        '/version': (200, {'Version': '29.0.1', 'ApiVersion': '1.52', 'MinAPIVersion': '1.44'}),
        '/networks': (200, [{'Name': 'monitoring', 'IPAM': {'Config': [{'Subnet': '172.30.0.0/24', 'Gateway': '172.30.0.1'}]}}]),
        '/volumes': (200, {'Volumes': [{'Name': 'prometheus-data', 'Driver': 'local'}], 'Warnings': None}),
        '/containers/json?all=1': (200, [{'Id': 'a' * 64, 'Names': ['/prometheus'], 'State': 'exited',
                                          'Ports': [{'PrivatePort': 9090, 'PublicPort': 9090}]}]),
        '/images/%s/json' % IMAGE.replace('/', '%2F').replace(':', '%3A'):
            (200, {'Config': {'Labels': {'org.opencontainers.image.version': 'v0.55.1'}}}),
    })
    return engine_standin


def test_one_call_answers_every_preflight_question(engine, tmp_path, run_module):
    result = run_module('engine_info', {'docker_host': engine.url, 'images': [IMAGE, 'coinpilot/absent:1'],
                                        'paths': [str(tmp_path), str(tmp_path / 'missing')]})
    assert result['failed'] is False, result.get('msg')
    assert (result['changed'], result['can_talk_to_docker']) == (False, True)
    assert result['version']['MinAPIVersion'] == '1.44'
    assert result['host_info']['CgroupVersion'] == '2'
    assert [n['Name'] for n in result['networks']] == ['monitoring']
    assert result['volumes'] == [{'Name': 'prometheus-data', 'Driver': 'local'}]
    # Stopped containers too: a port check must see them.
    assert [(c['Names'], c['State']) for c in result['containers']] == [(['/prometheus'], 'exited')]
    assert result['images'] == {IMAGE: {'org.opencontainers.image.version': 'v0.55.1'}, 'coinpilot/absent:1': None}
    assert result['paths'] == {str(tmp_path): True, str(tmp_path / 'missing'): False}
    stat = os.statvfs(str(tmp_path))
    assert result['root_dir_free_mb'] == stat.f_bavail * stat.f_frsize // (1024 * 1024)


def test_a_root_dir_not_on_this_host_has_no_free_space(engine, tmp_path, run_module):
    engine.routes['/info'] = (200, {'DockerRootDir': str(tmp_path / 'elsewhere')})
    result = run_module('engine_info', {'docker_host': engine.url})
    assert result['failed'] is False, result.get('msg')
    assert result['root_dir_free_mb'] is None


def test_check_mode_reads_the_same(engine, run_module):
    result = run_module('engine_info', {'docker_host': engine.url}, check_mode=True)
    assert (result['failed'], result['changed'], result['version']['ApiVersion']) == (False, False, '1.52')


def test_an_engine_that_does_not_answer_is_reported_not_failed(tmp_path, run_module):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        closed_port = sock.getsockname()[1]
    result = run_module('engine_info', {'docker_host': 'tcp://127.0.0.1:%d' % closed_port, 'paths': [str(tmp_path)]})
    assert (result['failed'], result['can_talk_to_docker']) == (False, False)
    assert 'connection refused' in result['msg'] and '/info' in result['msg']
    assert result['paths'] == {str(tmp_path): True}
    assert 'version' not in result


def test_an_engine_failing_after_its_info_fails_in_one_line(engine, run_module):
    engine.routes['/containers/json?all=1'] = (500, {'message': 'containerd is down'})
    result = run_module('engine_info', {'docker_host': engine.url})
    assert result['failed'] is True
    assert '\n' not in result['msg'] and 'HTTP 500' in result['msg'] and 'containerd is down' in result['msg']
    assert 'exception' not in result


def test_a_malformed_docker_host_is_refused(run_module):
    result = run_module('engine_info', {'docker_host': '/var/run/docker.sock'})
    assert result['failed'] is True
    assert result['msg'] == ('Option docker_host must be unix:///path/to/docker.sock or tcp://host:port, '
                             'got "/var/run/docker.sock"')


def test_an_engine_without_volumes_lists_none(engine, run_module):
    # The Engine API answers null, not an empty list, when there is none.
    engine.routes['/volumes'] = (200, {'Volumes': None, 'Warnings': None})
    result = run_module('engine_info', {'docker_host': engine.url})
    assert (result['failed'], result['volumes']) == (False, [])
