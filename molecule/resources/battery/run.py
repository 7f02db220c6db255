"""Bad role inputs against a converged host: site.yml must refuse each in
its preflight, in the exact one line the table expects, and leave the host
as it was.

All cases run in one ansible-playbook: one inventory host per case, each an
alias of the same test host over the same connection, so the table costs one
Ansible start-up. The host's fingerprint (containers with their ids and
StartedAt, the checksums of every config file, the releases, the lock) is
taken before and after.

  python3 run.py CASES_YAML INSTANCE      prints a JSON report; exits 1 on a mismatch
"""

import json
import os
import subprocess
import sys
import tempfile

import yaml

FINGERPRINT = r'''
set -eu
docker ps -aq | sort | xargs -r docker inspect --format '{{.Name}} {{.Id}} {{.State.StartedAt}} {{.State.Status}}'
cd /opt/coinpilot-monitoring
find . -type f ! -path './releases/*' ! -path '*/textfile/*' ! -path '*/data/*' -print0 | sort -z | xargs -0 -r sha256sum
ls -1 releases
readlink releases/current
ls /run/coinpilot-monitoring.lock 2>/dev/null || echo no-lock
'''


def fingerprint(instance):
    return subprocess.run(['docker', 'exec', instance, 'sh', '-c', FINGERPRINT], capture_output=True, text=True,
                          check=True, timeout=120).stdout


def failures(out):
    found = {}
    for play in out.get('plays', []):
        for task in play['tasks']:
            for host, result in task['hosts'].items():
                if result.get('failed') and host not in found:
                    # A loop's own msg only says that an item failed.
                    items = [r for r in result.get('results', []) if r.get('failed')]
                    found[host] = (task['task']['name'], (items[0] if items else result).get('msg', ''))
    return found


def main():
    cases_file, instance = sys.argv[1], sys.argv[2]
    with open(cases_file) as f:
        cases = yaml.safe_load(f)
    project = os.environ['MOLECULE_PROJECT_DIRECTORY']
    inventory_dir = os.path.dirname(os.environ['MOLECULE_INVENTORY_FILE'])
    hosts = {}
    for case in cases:
        hosts['case_' + case['id']] = dict(case['vars'], ansible_connection='community.docker.docker',
                                           ansible_host=instance)
    before = fingerprint(instance)
    with tempfile.TemporaryDirectory() as tmp:
        battery = os.path.join(tmp, 'battery.json')
        with open(battery, 'w') as f:
            json.dump({'monitoring': {'hosts': hosts}}, f)
        env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
                   ANSIBLE_NOCOLOR='1', ANSIBLE_FORKS='12')
        proc = subprocess.run(['ansible-playbook', '-i', inventory_dir, '-i', battery, '--limit', 'case_*',
                               os.path.join(project, 'playbooks', 'site.yml')],
                              capture_output=True, text=True, env=env, timeout=900, check=False)
    after = fingerprint(instance)
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        print(json.dumps({'ok': False, 'error': 'ansible-playbook printed no JSON', 'rc': proc.returncode,
                          'stdout': proc.stdout[-3000:], 'stderr': proc.stderr[-3000:]}))
        return 1
    found = failures(out)
    report = {'cases': len(cases), 'mismatches': [], 'fingerprint_unchanged': before == after}
    for case in cases:
        host = 'case_' + case['id']
        stats = out['stats'].get(host, {})
        task, msg = found.get(host, ('(none)', '(the run did not fail)'))
        expected = case['msg'].replace('HOST', host)
        problems = []
        if msg != expected:
            problems.append('message')
        if '\n' in msg or 'Traceback' in msg:
            problems.append('not one line')
        if stats.get('changed', 0) != 0:
            problems.append('changed=%s' % stats.get('changed'))
        if problems:
            report['mismatches'].append({'id': case['id'], 'problems': problems, 'task': task, 'got': msg,
                                         'expected': expected})
    if not report['fingerprint_unchanged']:
        report['before'], report['after'] = before, after
    report['ok'] = not report['mismatches'] and report['fingerprint_unchanged']
    print(json.dumps(report, indent=1))
    return 0 if report['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
