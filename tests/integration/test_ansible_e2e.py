# -*- coding: utf-8 -*-
"""The modules run as real Ansible modules: ad-hoc and in a playbook,
through the collection loader, against the real Prometheus."""

import json
import os
import subprocess
import sys

import pytest


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, 'tests', 'fixtures', 'dashboards')


def ansible(cmd, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
               ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_NOCOLOR='1')
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    # The venv's Python has requests, like the target host's python3-requests.
    argv = [cmd, '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=%s' % sys.executable] + list(args)
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        pytest.fail('%s printed no JSON (rc %d):\n%s\n%s' % (cmd, proc.returncode, proc.stdout, proc.stderr))
    return proc, out


def host_result(out):
    return out['plays'][0]['tasks'][0]['hosts']['localhost']


def test_adhoc_prometheus_targets(stack):
    args = json.dumps({'url': stack['url'], 'jobs': [{'name': 'node-exporter'}, {'name': 'prometheus'}]})
    proc, out = ansible('ansible', 'localhost', '-m', 'coinpilot.monitoring.prometheus_targets', '-a', args)
    result = host_result(out)
    assert proc.returncode == 0, result
    assert result['changed'] is False
    assert sorted({t['job'] for t in result['targets']}) == sorted(
        ['cadvisor', 'cadvisor-noname', 'cadvisor-rootonly', 'ghost', 'node-exporter',
         'prometheus', 'victim'])


@pytest.mark.parametrize('module, extra', [
    ('prometheus_targets', {}),
    ('prometheus_query', {'query': 'up'}),
    ('grafana_health', {}),
    ('cadvisor_coverage', {'containers': []}),
    ('grafana_dashboard_data', {'dashboard': {'panels': [{'id': 1, 'targets': [{'expr': 'up'}]}]}}),
])
def test_adhoc_closed_port_is_one_line(closed_port_url, module, extra):
    args = json.dumps(dict(extra, url=closed_port_url, timeout=3))
    proc, out = ansible('ansible', 'localhost', '-m', 'coinpilot.monitoring.%s' % module, '-a', args)
    result = host_result(out)
    assert proc.returncode != 0
    assert result['failed'] is True
    assert result['msg'].startswith('Could not reach ')
    assert result['msg'].startswith('Could not reach %s at %s/api/' % (
        'Grafana' if module == 'grafana_health' else 'Prometheus', closed_port_url))
    assert result['msg'].endswith(': connection refused')
    assert 'Traceback' not in proc.stdout + proc.stderr
    # ansible-core fills in this placeholder for every fail_json without a traceback
    assert result.get('exception', '(traceback unavailable)') == '(traceback unavailable)'


def test_playbook_in_check_mode_changes_nothing(stack, stack_containers, tmp_path):
    playbook = tmp_path / 'verify.yml'
    playbook.write_text(json.dumps([{
        'name': 'Verify', 'hosts': 'localhost', 'gather_facts': False,
        'tasks': [
            {'name': 'Targets', 'coinpilot.monitoring.prometheus_targets': {
                'url': stack['url'], 'jobs': [{'name': 'node-exporter'}], 'wait_timeout': 10}},
            {'name': 'Query', 'coinpilot.monitoring.prometheus_query': {
                'url': stack['url'], 'query': 'up{job="node-exporter"}', 'expect': 'in_range', 'min_value': 1}},
            {'name': 'Dashboard', 'coinpilot.monitoring.grafana_dashboard_data': {
                'url': stack['url'], 'path': os.path.join(FIXTURES, 'node-overview.json'), 'time_range': '2m',
                'scrape_interval': '1s'}},
            {'name': 'cAdvisor', 'coinpilot.monitoring.cadvisor_coverage': {
                'url': stack['url'], 'containers': stack_containers, 'wait_timeout': 30}},
        ]}]))
    for mode in ([], ['--check']):
        proc, out = ansible('ansible-playbook', str(playbook), *mode)
        stats = out['stats']['localhost']
        assert proc.returncode == 0, json.dumps(out['plays'][0]['tasks'], indent=1)[:3000]
        assert (stats['ok'], stats['changed'], stats['failures']) == (4, 0, 0)
