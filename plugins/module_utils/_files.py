# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A role's directories and files on the host, each set up as
ansible.builtin.file and ansible.builtin.copy would, so that one module call
does what a loop of those did with one round trip per item.

Owner, group and mode go through AnsibleModule's own file-attribute helpers.
"""

import hashlib
import os
import shutil
import tempfile

from ansible.module_utils.common.text.converters import to_bytes, to_native

# A diff longer than this is left out, as ansible.builtin.copy leaves out a
# file above its max_file_size_for_diff.
MAX_DIFF_BYTES = 104448


def _missing_parts(b_path):
    """The directories from the first missing ancestor down to ``b_path``."""
    missing = []
    while not os.path.lexists(b_path):
        missing.insert(0, b_path)
        parent = os.path.dirname(b_path)
        if parent == b_path:
            break
        b_path = parent
    return missing


def ensure_directory(module, entry):
    """Create ``entry``'s directory and its missing parents; set their
    attributes. Returns whether anything changed (or would)."""
    b_path = to_bytes(entry['path'], errors='surrogate_or_strict')
    if os.path.lexists(b_path) and not os.path.isdir(b_path):
        module.fail_json(msg='%s exists and is not a directory; move it away, or name another directory.' % entry['path'])
    created = _missing_parts(b_path)
    if module.check_mode:
        # A directory that does not exist yet has no attributes to compare.
        return bool(created) or module.set_fs_attributes_if_different(module.load_file_common_arguments(entry), False)
    changed = False
    for b_part in created:
        os.mkdir(b_part)
        args = module.load_file_common_arguments(entry, path=to_native(b_part, errors='surrogate_or_strict'))
        changed = module.set_fs_attributes_if_different(args, True, expand=False)
    if not created:
        changed = module.set_fs_attributes_if_different(module.load_file_common_arguments(entry), False)
    return changed


def _read(b_path):
    try:
        with open(b_path, 'rb') as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _diff(path, before, after):
    if before is not None and len(before) > MAX_DIFF_BYTES or len(after) > MAX_DIFF_BYTES:
        return None
    try:
        return {'before_header': path, 'after_header': path,
                'before': '' if before is None else before.decode('utf-8'), 'after': after.decode('utf-8')}
    except UnicodeDecodeError:
        return None


def ensure_file(module, entry, content, diffs=None):
    """Write ``content`` (text) to ``entry['path']`` when it differs, through
    a temp file in the same directory that ``entry['validate']`` (a command
    with %s for the file) must accept first; then set the attributes. Returns
    whether anything changed (or would); appends the content's diff to
    ``diffs`` when given."""
    path = entry['path']
    b_path = to_bytes(path, errors='surrogate_or_strict')
    if os.path.lexists(b_path) and not os.path.isfile(b_path):
        module.fail_json(msg='%s exists and is not a regular file; move it away, or name another file.' % path)
    b_content = to_bytes(content, errors='surrogate_or_strict')
    before = _read(b_path)
    differs = before is None or hashlib.sha256(before).digest() != hashlib.sha256(b_content).digest()
    if differs and diffs is not None:
        diff = _diff(path, before, b_content)
        if diff:
            diffs.append(diff)
    if module.check_mode:
        return differs or module.set_fs_attributes_if_different(module.load_file_common_arguments(entry), False)
    if differs:
        handle, b_tmp = tempfile.mkstemp(prefix=b'.coinpilot-', dir=os.path.dirname(b_path))
        try:
            with os.fdopen(handle, 'wb') as out:
                out.write(b_content)
            if entry.get('validate'):
                if '%s' not in entry['validate']:
                    module.fail_json(msg='The validate command for %s must contain %%s: %s' % (path, entry['validate']))
                rc, out, err = module.run_command(entry['validate'] % to_native(b_tmp), use_unsafe_shell=False)
                if rc != 0:
                    detail = ' | '.join(line for line in (err + '\n' + out).splitlines() if line.strip())
                    module.fail_json(msg='%s failed to validate, the live file is unchanged: %s' % (path, detail),
                                     rc=rc, stdout=out, stderr=err, failed_path=path)
            module.atomic_move(b_tmp, b_path, unsafe_writes=False)
        finally:
            if os.path.lexists(b_tmp):
                os.unlink(b_tmp)
    attrs = module.set_fs_attributes_if_different(module.load_file_common_arguments(entry), False)
    return differs or attrs


def _remove(module, path):
    if module.check_mode:
        return
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def remove_paths(module, paths):
    """Remove each of ``paths`` that exists; returns those, in order."""
    removed = [path for path in paths if os.path.lexists(path)]
    for path in removed:
        _remove(module, path)
    return removed


def remove_unlisted(module, directory, keep):
    """Remove each entry of ``directory`` whose path is not in ``keep``
    (a directory with what it holds); returns their paths, sorted."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    removed = []
    for name in names:
        path = os.path.join(directory, name)
        if path in keep:
            continue
        removed.append(path)
        _remove(module, path)
    return removed
