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


def _cadvisor_preflight(tmp_path, version):
    """The cadvisor role's preflight on this machine, against its own engine."""
    playbook = tmp_path / ('preflight-%s.yml' % version)
    playbook.write_text(json.dumps([{
        'name': 'Preflight', 'hosts': 'localhost', 'gather_facts': False,
        'tasks': [{'name': 'cAdvisor preflight', 'ansible.builtin.include_role': {
            'name': 'coinpilot.monitoring.cadvisor', 'tasks_from': 'preflight'},
            'vars': {'cadvisor_version': version, 'cadvisor_devices': []}}]}]))
    proc, out = ansible('ansible-playbook', str(playbook))
    failed = [h for t in out['plays'][0]['tasks'] for h in t['hosts'].values() if h.get('failed')]
    return proc, (failed[0].get('msg', '') if failed else '')


def test_cadvisor_preflight_on_an_engine_older_than_api_1_44(tmp_path):
    """This machine's engine is Debian 12's Docker 20.10 (API 1.41): the
    releases whose client needs API 1.44 are refused in one line, and an
    older one gets past the compatibility rules."""
    engine = json.loads(subprocess.run(['docker', 'version', '--format', '{{json .Server}}'], capture_output=True,
                                       text=True, check=True).stdout)
    if tuple(int(x) for x in engine['ApiVersion'].split('.')) >= (1, 44):
        pytest.fail('this test needs an engine older than API 1.44; this one speaks %s' % engine['ApiVersion'])
    proc, msg = _cadvisor_preflight(tmp_path, 'v0.55.0')
    assert proc.returncode != 0
    assert msg == ('cAdvisor v0.55.0 needs Docker API 1.44 or newer (its Docker client dropped older versions), but '
                   'this engine (Docker %s) speaks API %s at most, so cAdvisor would see no container names; use '
                   'cAdvisor v0.57.0 or later, which talks to API 1.40 and newer.'
                   % (engine['Version'], engine['ApiVersion']))
    proc, msg = _cadvisor_preflight(tmp_path, 'v0.54.0')
    # Past every compatibility rule; only the host paths a VM has are missing here.
    assert 'needs Docker API' not in msg and 'asks the Docker engine' not in msg
    assert proc.returncode == 0 or msg.endswith("cAdvisor's upstream mount set needs them. Fix cadvisor_devices or "
                                                "cadvisor_docker_root_dir if the host keeps them elsewhere.")
