# -*- coding: utf-8 -*-
"""A table of cases through one role's tasks in one ansible-playbook: one
inventory host per case, each on the local connection, so the whole table
costs one Ansible start-up."""

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(tmp, hosts, role, tasks_from, role_vars=None):
    """Run `role`'s `tasks_from` on every host of `hosts` (name: its variables).

    Returns the process, the json callback's output and, per host that
    failed, (task name, msg) of its first failed task.
    """
    inventory = {'all': {'hosts': {name: dict(variables, ansible_connection='local',
                                              ansible_python_interpreter=sys.executable)
                                   for name, variables in hosts.items()}}}
    (tmp / 'inventory.json').write_text(json.dumps(inventory))
    include = {'name': 'coinpilot.monitoring.' + role, 'tasks_from': tasks_from}
    task = {'name': 'The %s tasks of %s' % (tasks_from, role), 'ansible.builtin.include_role': include}
    if role_vars:
        task['vars'] = role_vars
    play = {'name': 'Table', 'hosts': 'all', 'gather_facts': False, 'tasks': [task]}
    (tmp / 'playbook.yml').write_text(json.dumps([play]))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, 'ansible.cfg'), ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
               ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_NOCOLOR='1', ANSIBLE_FORKS='8')
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    proc = subprocess.run(['ansible-playbook', '-i', str(tmp / 'inventory.json'), str(tmp / 'playbook.yml')],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        pytest.fail('ansible-playbook printed no JSON (rc %d):\n%s\n%s' % (proc.returncode, proc.stdout, proc.stderr))
    failures = {}
    for play_task in out['plays'][0]['tasks']:
        for host, result in play_task['hosts'].items():
            if result.get('failed') and host not in failures:
                failures[host] = (play_task['task']['name'], result.get('msg', ''))
    return proc, out, failures
