# -*- coding: utf-8 -*-
"""The release records: fingerprints as earlier versions wrote them, reading, pruning."""

import json
import os

import pytest
from ansible.plugins.filter.core import to_json
from ansible.plugins.filter.core import get_hash

from ansible_collections.coinpilot.monitoring.plugins.module_utils import _release

FILES = {'prometheus/prometheus.yml': 'a' * 40, 'grafana/provisioning/datasources/prometheus.yml': 'b' * 40}
IMAGES = {'node_exporter': {'image': 'prom/node-exporter:v1.11.1', 'image_id': 'sha256:1'},
          'prometheus': {'image': 'prom/prometheus:v3.5.3', 'image_id': 'sha256:2'}}
VARS = {'prometheus_web_port': 9090, 'grafana_bind_address': '127.0.0.1', 'prometheus_app_jobs': [],
        'monitoring_note': 'caf\u00e9', 'cadvisor_privileged': True, 'ratio': 0.5}


def _as_the_role_did(files, images, variables):
    """write.yml's expression before the module: to_json(sort_keys=true) | hash('sha256')."""
    state = {'files': files, 'images': [[k, v['image_id']] for k, v in images.items()], 'vars': variables}
    return get_hash(to_json(state, sort_keys=True), 'sha256')


def test_fingerprint_is_the_one_earlier_releases_carry():
    assert _release.fingerprint(FILES, IMAGES, VARS) == _as_the_role_did(FILES, IMAGES, VARS)


@pytest.mark.parametrize('change', [
    lambda f, i, v: f.update({'prometheus/prometheus.yml': 'c' * 40}),
    lambda f, i, v: i['prometheus'].update(image_id='sha256:3'),
    lambda f, i, v: v.update(prometheus_web_port=9091),
])
def test_any_change_moves_the_fingerprint(change):
    files, images, variables = dict(FILES), {k: dict(v) for k, v in IMAGES.items()}, dict(VARS)
    change(files, images, variables)
    assert _release.fingerprint(files, images, variables) != _release.fingerprint(FILES, IMAGES, VARS)


def test_the_image_reference_alone_does_not_count():
    # The id is what runs; a retag of the same image is the same release.
    images = {k: dict(v, image=v['image'] + '-retag') for k, v in IMAGES.items()}
    assert _release.fingerprint(FILES, images, VARS) == _release.fingerprint(FILES, IMAGES, VARS)


def _release_tree(tmp_path, ids, current=None):
    for rid in ids:
        (tmp_path / rid / 'files').mkdir(parents=True)
        (tmp_path / rid / 'manifest.json').write_text(json.dumps({'id': rid, 'fingerprint': 'f' + rid}))
    if current:
        os.symlink(current, str(tmp_path / 'current'))
    return tmp_path


IDS = ['20261201T000000Z-0000000%d' % n for n in range(1, 7)]


def test_read_current(tmp_path):
    tree = _release_tree(tmp_path, IDS[:2], current=IDS[0])
    assert _release.read_current(str(tree)) == {'id': IDS[0], 'fingerprint': 'f' + IDS[0]}


def test_read_current_without_a_release(tmp_path):
    assert _release.read_current(str(tmp_path)) == {}
    assert _release.read_current(str(tmp_path / 'missing')) == {}


@pytest.mark.parametrize('content, message', [
    ('{"id": ', 'is not JSON'),
    ('[]', 'has no release id'),
    ('{"fingerprint": "x"}', 'has no release id'),
])
def test_read_current_names_a_broken_manifest(tmp_path, content, message):
    (tmp_path / 'r').mkdir()
    (tmp_path / 'r' / 'manifest.json').write_text(content)
    os.symlink('r', str(tmp_path / 'current'))
    with pytest.raises(_release.ManifestError, match=message) as err:
        _release.read_current(str(tmp_path))
    assert str(tmp_path / 'current' / 'manifest.json') in str(err.value)


def test_to_prune_keeps_the_newest_and_the_live_one():
    names = list(reversed(IDS)) + ['current', 'not-a-release', '.tmp']
    # The live release is the oldest (a rollback went back to it): it stays.
    assert _release.to_prune(names, 3, IDS[0]) == [IDS[2], IDS[1]]
    assert _release.to_prune(names, 3, IDS[5]) == [IDS[2], IDS[1], IDS[0]]
    assert _release.to_prune(names, 10, IDS[5]) == []


def test_prune_removes_only_what_to_prune_names(tmp_path):
    tree = _release_tree(tmp_path, IDS, current=IDS[0])
    (tmp_path / 'notes').mkdir()
    assert _release.prune(str(tree), 2, IDS[0], check_mode=True) == [IDS[3], IDS[2], IDS[1]]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(IDS + ['current', 'notes'])
    assert _release.prune(str(tree), 2, IDS[0]) == [IDS[3], IDS[2], IDS[1]]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([IDS[0], IDS[4], IDS[5], 'current', 'notes'])
    assert _release.prune(str(tree), 2, IDS[0]) == []


def test_release_ids_and_current_id(tmp_path):
    tree = _release_tree(tmp_path, IDS[:3], current=IDS[1])
    (tmp_path / 'not-a-release').mkdir()
    (tmp_path / ('20261201T000000Z-0000000' + '9')).write_text('a file, not a release')
    assert _release.release_ids(str(tree)) == IDS[:3]
    assert _release.current_id(str(tree)) == IDS[1]
    assert _release.current_id(str(tmp_path / 'missing')) == ''
    assert _release.release_ids(str(tmp_path / 'missing')) == []


@pytest.mark.parametrize('current, wanted, picked', [
    (IDS[3], '', IDS[2]),
    (IDS[1], '', IDS[0]),
    ('', '', IDS[5]),
    (IDS[3], IDS[4], IDS[4]),
])
def test_pick(current, wanted, picked):
    assert _release.pick(IDS, current, wanted) == picked


@pytest.mark.parametrize('ids, current, wanted, message', [
    (IDS, IDS[0], '', 'There is no release older than the current one to go back to; releases: ' + ', '.join(IDS)),
    ([], '', '', 'There is no release older than the current one to go back to; releases: none'),
    (IDS[:2], IDS[1], 'x', 'There is no release x; pick one of: %s, %s' % (IDS[0], IDS[1])),
])
def test_pick_names_what_there_is(ids, current, wanted, message):
    with pytest.raises(_release.ManifestError) as err:
        _release.pick(ids, current, wanted)
    assert str(err.value) == message
