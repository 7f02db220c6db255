# -*- coding: utf-8 -*-
"""release_manifest, run in-process on a release tree in a temp directory."""

import hashlib
import json
import os

IDS = ['20261201T000000Z-0000000%d' % n for n in range(1, 5)]


def _tree(tmp_path, current, fingerprint='f'):
    for rid in IDS:
        (tmp_path / rid).mkdir()
        (tmp_path / rid / 'manifest.json').write_text(json.dumps({'id': rid, 'fingerprint': fingerprint}))
    os.symlink(current, str(tmp_path / 'current'))
    return str(tmp_path)


def test_read(tmp_path, run_module):
    result = run_module('release_manifest', {'dir': _tree(tmp_path, IDS[1])})
    assert result['failed'] is False
    assert result['changed'] is False
    assert result['id'] == IDS[1]
    assert result['manifest'] == {'id': IDS[1], 'fingerprint': 'f'}


def test_read_on_a_host_without_releases(tmp_path, run_module):
    result = run_module('release_manifest', {'dir': str(tmp_path / 'releases')})
    assert result['failed'] is False
    assert (result['id'], result['manifest']) == ('', {})


def test_compare(tmp_path, run_module):
    state = {'files': {'a': '1'}, 'images': {'prometheus': {'image_id': 'sha256:2'}}, 'variables': {'x': 1}}
    first = run_module('release_manifest', dict(state, dir=_tree(tmp_path, IDS[3]), command='compare'))
    assert first['failed'] is False
    assert first['is_new'] is True
    # The live release recorded exactly this state: nothing new to write.
    manifest = tmp_path / IDS[3] / 'manifest.json'
    manifest.write_text(json.dumps({'id': IDS[3], 'fingerprint': first['fingerprint']}))
    again = run_module('release_manifest', dict(state, dir=str(tmp_path), command='compare'))
    assert (again['is_new'], again['id'], again['fingerprint']) == (False, IDS[3], first['fingerprint'])


def test_compare_without_a_live_release(tmp_path, run_module):
    result = run_module('release_manifest', {'dir': str(tmp_path), 'command': 'compare'})
    assert result['is_new'] is True
    assert result['id'] == ''


def test_prune_in_check_mode_then_for_real(tmp_path, run_module):
    tree = _tree(tmp_path, IDS[0])
    args = {'dir': tree, 'command': 'prune', 'keep': 2}
    checked = run_module('release_manifest', args, check_mode=True)
    assert (checked['changed'], checked['removed']) == (True, [IDS[1]])
    assert (tmp_path / IDS[1]).is_dir()
    done = run_module('release_manifest', args)
    assert (done['changed'], done['removed']) == (True, [IDS[1]])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([IDS[0], IDS[2], IDS[3], 'current'])
    rerun = run_module('release_manifest', args)
    assert (rerun['changed'], rerun['removed']) == (False, [])


def test_bad_input_is_one_line(tmp_path, run_module):
    tree = _tree(tmp_path, IDS[0])
    assert run_module('release_manifest', {'dir': tree, 'command': 'prune', 'keep': 0})['msg'] == \
        'Option keep must be at least 1, got 0'
    (tmp_path / IDS[0] / 'manifest.json').write_text('{')
    broken = run_module('release_manifest', {'dir': tree})
    assert broken['failed'] is True
    assert broken['msg'].startswith('The release manifest %s/current/manifest.json is not JSON' % tree)
    assert '\n' not in broken['msg']


def test_pick(tmp_path, run_module):
    tree = _tree(tmp_path, IDS[2])
    before = run_module('release_manifest', {'dir': tree, 'command': 'pick'})
    assert (before['failed'], before['changed'], before['id']) == (False, False, IDS[1])
    assert before['manifest'] == {'id': IDS[1], 'fingerprint': 'f'}
    named = run_module('release_manifest', {'dir': tree, 'command': 'pick', 'release': IDS[3]})
    assert named['id'] == IDS[3]
    missing = run_module('release_manifest', {'dir': tree, 'command': 'pick', 'release': 'nope'})
    assert missing['failed'] is True
    assert missing['msg'] == 'There is no release nope; pick one of: ' + ', '.join(IDS)


EXCLUDE = '^releases/|(^|/)secrets/|(^|/)data/|(^|/)textfile/|\\.key$'


def _deployed(tmp_path):
    base = tmp_path / 'base'
    for rel, text in [('prometheus/config/prometheus.yml', 'a'), ('prometheus/config/.hidden', 'b'),
                      ('prometheus/config/secrets/pw', 's'), ('prometheus/data/wal/0001', 'tsdb'),
                      ('grafana/tls/web.key', 'k'), ('releases/x/manifest.json', '{}'), ('.cache/f', 'c')]:
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text(text)
    (base / 'top.txt').write_text('not in a component directory')
    os.symlink('prometheus.yml', str(base / 'prometheus/config/link.yml'))
    return base


def test_collect_reads_the_files_and_images_in_one_call(tmp_path, engine_standin, run_module, monkeypatch):
    base = _deployed(tmp_path)
    walked, walk = [], os.walk

    def spy(top, **kwargs):
        for here, dirs, names in walk(top, **kwargs):
            walked.append(os.path.relpath(here, str(base)))
            yield here, dirs, names
    monkeypatch.setattr(os, 'walk', spy)
    engine_standin.routes.update({
        '/containers/json?all=1': (200, [
            {'Names': ['/prometheus'], 'Image': 'prom/prometheus:v3.5.3', 'ImageID': 'sha256:p', 'State': 'running'},
            {'Names': ['/grafana'], 'Image': 'sha256:g', 'ImageID': 'sha256:g', 'State': 'exited'}]),
        '/images/sha256:p/json': (200, {'RepoDigests': ['prom/prometheus@sha256:d']}),
    })
    args = {'dir': str(base / 'releases'), 'command': 'collect', 'base_dir': str(base), 'exclude': EXCLUDE,
            'docker_host': engine_standin.url,
            'containers': {'prometheus': 'prometheus', 'grafana': 'grafana', 'cadvisor': 'cadvisor'}}
    result = run_module('release_manifest', args, check_mode=True)
    assert result['failed'] is False, result.get('msg')
    # A TSDB directory the exclusion names is not even walked.
    assert sorted(walked) == ['grafana', 'grafana/tls', 'prometheus', 'prometheus/config']
    assert result['changed'] is False
    sha = hashlib.sha256
    assert result['files'] == {'prometheus/config/prometheus.yml': sha(b'a').hexdigest(),
                               'prometheus/config/.hidden': sha(b'b').hexdigest()}
    assert result['images'] == {
        'prometheus': {'container': 'prometheus', 'reference': 'prom/prometheus:v3.5.3', 'image_id': 'sha256:p',
                       'repo_digests': ['prom/prometheus@sha256:d'], 'running': True},
        # An image the engine no longer lists by that id has no digests.
        'grafana': {'container': 'grafana', 'reference': 'sha256:g', 'image_id': 'sha256:g', 'repo_digests': [],
                    'running': False}}


def test_compare_collects_with_base_dir_and_matches_the_given_state(tmp_path, engine_standin, run_module):
    base = _deployed(tmp_path)
    engine_standin.routes['/containers/json?all=1'] = (200, [])
    collected = run_module('release_manifest', {'dir': str(base / 'releases'), 'command': 'compare', 'base_dir': str(base),
                                                'exclude': EXCLUDE, 'docker_host': engine_standin.url, 'variables': {'x': 1}})
    given = run_module('release_manifest', {'dir': str(base / 'releases'), 'command': 'compare', 'files': collected['files'],
                                            'images': {}, 'variables': {'x': 1}})
    assert collected['failed'] is False, collected.get('msg')
    assert collected['fingerprint'] == given['fingerprint'] and collected['is_new'] is True
    assert 'files' not in given


def test_collect_failures_are_one_line(tmp_path, run_module):
    base = _deployed(tmp_path)
    refused = run_module('release_manifest', {'dir': str(base / 'releases'), 'command': 'collect', 'base_dir': str(base),
                                              'docker_host': 'unix://%s' % (tmp_path / 'no.sock')})
    assert refused['failed'] is True and '\n' not in refused['msg']
    assert refused['msg'].startswith('Could not reach Docker at unix://%s' % (tmp_path / 'no.sock'))
    bad = run_module('release_manifest', {'dir': str(base / 'releases'), 'command': 'collect', 'base_dir': str(base),
                                          'exclude': '(', 'docker_host': 'unix:///nonexistent'})
    assert bad['failed'] is True and bad['msg'].startswith('Option exclude is not a regular expression')
    missing = run_module('release_manifest', {'dir': str(base / 'releases'), 'command': 'collect'})
    assert missing['failed'] is True and 'base_dir' in missing['msg']
