# -*- coding: utf-8 -*-
"""files with directories only (what ansible.builtin.file does with state=directory), run in-process on a temp directory as the user running the tests."""

import os
import stat


def _mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_creates_the_missing_ones_with_their_parents_then_changes_nothing(tmp_path, run_module):
    paths = [{'path': str(tmp_path / 'a' / 'b'), 'mode': '0750'}, {'path': str(tmp_path / 'c'), 'mode': '0700'}]
    first = run_module('files', {'directories': paths})
    assert (first['failed'], first['changed']) == (False, True)
    assert first['changed_paths'] == [p['path'] for p in paths]
    # Like ansible.builtin.file: a parent it creates gets the entry's mode too.
    assert (_mode(tmp_path / 'a'), _mode(tmp_path / 'a' / 'b'), _mode(tmp_path / 'c')) == (0o750, 0o750, 0o700)
    again = run_module('files', {'directories': paths})
    assert (again['changed'], again['changed_paths']) == (False, [])


def test_sets_the_mode_of_an_existing_directory(tmp_path, run_module):
    (tmp_path / 'd').mkdir(mode=0o755)
    os.chmod(str(tmp_path / 'd'), 0o755)
    result = run_module('files', {'directories': [{'path': str(tmp_path / 'd'), 'mode': '0750'}]})
    assert (result['changed'], result['changed_paths']) == (True, [str(tmp_path / 'd')])
    assert _mode(tmp_path / 'd') == 0o750


def test_leaves_unset_attributes_alone(tmp_path, run_module):
    (tmp_path / 'd').mkdir()
    os.chmod(str(tmp_path / 'd'), 0o711)
    result = run_module('files', {'directories': [{'path': str(tmp_path / 'd')}]})
    assert result['changed'] is False
    assert _mode(tmp_path / 'd') == 0o711


def test_check_mode_reports_and_touches_nothing(tmp_path, run_module):
    (tmp_path / 'd').mkdir()
    os.chmod(str(tmp_path / 'd'), 0o755)
    paths = [{'path': str(tmp_path / 'd'), 'mode': '0750'}, {'path': str(tmp_path / 'new' / 'x'), 'mode': '0750'}]
    result = run_module('files', {'directories': paths}, check_mode=True)
    assert (result['changed'], result['changed_paths']) == (True, [p['path'] for p in paths])
    assert _mode(tmp_path / 'd') == 0o755
    assert not (tmp_path / 'new').exists()


def test_a_file_in_the_way_fails_in_one_line(tmp_path, run_module):
    (tmp_path / 'f').write_text('x')
    result = run_module('files', {'directories': [{'path': str(tmp_path / 'f'), 'mode': '0750'}]})
    assert result['failed'] is True
    assert result['msg'] == '%s exists and is not a directory; move it away, or name another directory.' % (tmp_path / 'f')


def test_an_unknown_owner_fails_without_a_traceback(tmp_path, run_module):
    result = run_module('files', {'directories': [{'path': str(tmp_path / 'd'), 'owner': 'no-such-user-here'}]})
    assert result['failed'] is True
    assert 'no-such-user-here' in result['msg']
    assert '\n' not in result['msg'].strip()
