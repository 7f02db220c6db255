# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The release manifests on a host: collect, read, fingerprint, compare, prune.

A release is a directory ``<dir>/<id>/`` with a ``manifest.json``; ``<dir>/current``
links to the live one. Ids start with their UTC time, so sorting them sorts
them by age.
"""


import hashlib
import json
import os
import re
import shutil
import stat

from ansible_collections.coinpilot.monitoring.plugins.module_utils._docker import get_json
from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import ApiError

CURRENT = 'current'
# The directory under the base directory that holds the releases.
RELEASES = 'releases'
MANIFEST = 'manifest.json'
ID_RE = re.compile(r'^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$')


class ManifestError(Exception):
    """A manifest that cannot be read; the message names the file."""


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def collect_files(base_dir, exclude, skip=(RELEASES,)):
    """The rendered files: each regular file in the component directories
    under ``base_dir`` (not the releases' own), by path relative to it, with
    its sha256.

    A path ``exclude`` (a regex) finds anything in is left out; a directory
    it finds with a trailing slash is not walked, so a TSDB under the base
    directory costs nothing. Symlinks and hidden component directories are
    not followed.
    """
    pattern = re.compile(exclude) if exclude else None
    files = {}
    try:
        tops = sorted(os.listdir(base_dir))
    except FileNotFoundError:
        return files
    for top in tops:
        root = os.path.join(base_dir, top)
        if top in skip or top.startswith('.') or os.path.islink(root) or not os.path.isdir(root):
            continue
        for here, dirs, names in os.walk(root):
            rel_here = os.path.relpath(here, base_dir)
            dirs[:] = [d for d in dirs if not (pattern and pattern.search(os.path.join(rel_here, d) + '/'))]
            for name in names:
                path = os.path.join(here, name)
                rel = os.path.join(rel_here, name)
                if (pattern and pattern.search(rel)) or not stat.S_ISREG(os.lstat(path).st_mode):
                    continue
                files[rel] = _sha256(path)
    return files


def collect_images(docker_host, containers, timeout=10.0):
    """For each role's container (``{role: name}``) that exists, the image it
    really runs: the reference it was created from, the image id and the
    image's repo digests (the tag can move; these cannot)."""
    listed = get_json(docker_host, '/containers/json?all=1', timeout)
    images = {}
    for role, name in sorted(containers.items()):
        found = next((c for c in listed if '/' + name in (c.get('Names') or [])), None)
        if found is None:
            continue
        try:
            digests = get_json(docker_host, '/images/%s/json' % found.get('ImageID', ''), timeout).get('RepoDigests')
        except ApiError as exc:
            if exc.status != 404:
                raise
            digests = None
        images[role] = {'container': name, 'reference': found.get('Image'), 'image_id': found.get('ImageID'),
                        'repo_digests': digests or [], 'running': found.get('State') == 'running'}
    return images


def fingerprint(files, images, variables):
    """What a release deploys, as one sha256.

    The serialisation is Ansible's ``to_json(sort_keys=true)`` (json.dumps
    with its default separators and ASCII escapes), so that the releases
    already written by earlier versions keep their fingerprints.
    """
    state = {
        'files': files or {},
        'images': [[role, (info or {}).get('image_id')] for role, info in (images or {}).items()],
        'vars': variables or {},
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode('utf-8')).hexdigest()


def read_manifest(release_dir, name):
    """The manifest of release ``name`` (or of ``current``), {} when there is none."""
    path = os.path.join(release_dir, name, MANIFEST)
    try:
        with open(path, 'rb') as handle:
            raw = handle.read()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ManifestError('Cannot read the release manifest %s: %s' % (path, exc.strerror))
    try:
        manifest = json.loads(raw.decode('utf-8'))
    except ValueError as exc:
        raise ManifestError('The release manifest %s is not JSON (%s); restore it from the release directory, '
                            'or remove the "current" link to start over' % (path, exc))
    if not isinstance(manifest, dict) or not isinstance(manifest.get('id'), str):
        raise ManifestError('The release manifest %s has no release id' % path)
    return manifest


def read_current(release_dir):
    """The live release's manifest, or {} when the host has none."""
    return read_manifest(release_dir, CURRENT)


def release_ids(release_dir):
    """The releases on the host, oldest first."""
    try:
        names = os.listdir(release_dir)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if ID_RE.match(n) and os.path.isdir(os.path.join(release_dir, n))
                  and not os.path.islink(os.path.join(release_dir, n)))


def current_id(release_dir):
    """The id the ``current`` link points at, '' without one."""
    try:
        return os.path.basename(os.readlink(os.path.join(release_dir, CURRENT)).rstrip('/'))
    except OSError:
        return ''


def pick(ids, current, wanted=''):
    """The release to restore: ``wanted``, or else the newest one older than
    ``current`` (the newest of all when nothing is current)."""
    if wanted:
        if wanted not in ids:
            raise ManifestError('There is no release %s; pick one of: %s' % (wanted, ', '.join(ids) or 'none'))
        return wanted
    older = [i for i in ids if i < current] if current else list(ids)
    if not older:
        raise ManifestError('There is no release older than the current one to go back to; releases: %s'
                            % (', '.join(ids) or 'none'))
    return older[-1]


def to_prune(names, keep, current_id):
    """The release ids beyond the newest ``keep``; never the live one, and
    never a name that is not a release id."""
    releases = sorted((n for n in names if ID_RE.match(n)), reverse=True)
    return [n for n in releases[keep:] if n != current_id]


def prune(release_dir, keep, current, check_mode=False):
    """Remove the releases ``to_prune`` names; returns their ids."""
    doomed = to_prune(release_ids(release_dir), keep, current)
    if not check_mode:
        for name in doomed:
            shutil.rmtree(os.path.join(release_dir, name))
    return doomed
