# -*- coding: utf-8 -*-
"""files, run in-process on a temp directory as the user running the tests."""

import os
import stat


def _mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def _args(tmp_path, **extra):
    d = tmp_path / 'grafana'
    args = {
        'directories': [{'path': str(d), 'mode': '0750'}, {'path': str(d / 'dashboards'), 'mode': '0750'}],
        'files': [{'path': str(d / 'dashboards' / 'a.json'), 'content': '{"uid": "a"}\n', 'mode': '0640'},
                  {'path': str(d / 'admin_password'), 'mode': '0600'}],
        'secret_contents': {str(d / 'admin_password'): 's3cret'},
        'exclusive': [str(d / 'dashboards')],
    }
    args.update(extra)
    return args


def test_writes_everything_once_then_changes_nothing(tmp_path, run_module):
    d = tmp_path / 'grafana'
    first = run_module('files', _args(tmp_path))
    assert (first['failed'], first['changed']) == (False, True)
    assert first['changed_paths'] == [str(d), str(d / 'dashboards'), str(d / 'dashboards' / 'a.json'), str(d / 'admin_password')]
    assert (d / 'dashboards' / 'a.json').read_text() == '{"uid": "a"}\n'
    assert (d / 'admin_password').read_text() == 's3cret'
    assert (_mode(d), _mode(d / 'dashboards' / 'a.json'), _mode(d / 'admin_password')) == (0o750, 0o640, 0o600)
    again = run_module('files', _args(tmp_path))
    assert (again['changed'], again['changed_paths'], again['removed']) == (False, [], [])


def test_check_mode_reports_and_touches_nothing(tmp_path, run_module):
    result = run_module('files', _args(tmp_path), check_mode=True)
    assert (result['failed'], result['changed']) == (False, True)
    assert len(result['changed_paths']) == 4
    assert not (tmp_path / 'grafana').exists()


def test_a_mode_alone_is_set_without_rewriting(tmp_path, run_module):
    run_module('files', _args(tmp_path))
    target = tmp_path / 'grafana' / 'dashboards' / 'a.json'
    os.chmod(str(target), 0o644)
    inode = os.stat(str(target)).st_ino
    result = run_module('files', _args(tmp_path))
    assert result['changed_paths'] == [str(target)]
    assert (_mode(target), os.stat(str(target)).st_ino) == (0o640, inode)


def test_what_the_role_no_longer_lists_is_removed_from_an_exclusive_directory(tmp_path, run_module):
    run_module('files', _args(tmp_path))
    dashboards = tmp_path / 'grafana' / 'dashboards'
    (dashboards / 'old.json').write_text('{}')
    (dashboards / 'stray').mkdir()
    (dashboards / 'stray' / 'x').write_text('x')
    checked = run_module('files', _args(tmp_path), check_mode=True)
    assert (checked['changed'], checked['removed']) == (True, [str(dashboards / 'old.json'), str(dashboards / 'stray')])
    assert (dashboards / 'old.json').exists()
    done = run_module('files', _args(tmp_path))
    assert done['removed'] == [str(dashboards / 'old.json'), str(dashboards / 'stray')]
    assert sorted(os.listdir(str(dashboards))) == ['a.json']


def test_the_diff_shows_files_and_never_a_secret(tmp_path, run_module):
    run_module('files', _args(tmp_path))
    args = _args(tmp_path, _ansible_diff=True)
    args['files'][0]['content'] = '{"uid": "b"}\n'
    args['secret_contents'] = {args['files'][1]['path']: 'n3w'}
    result = run_module('files', args, check_mode=True)
    assert result['diff'] == [{'before_header': args['files'][0]['path'], 'after_header': args['files'][0]['path'],
                               'before': '{"uid": "a"}\n', 'after': '{"uid": "b"}\n'}]
    assert result['changed_paths'] == [args['files'][0]['path'], args['files'][1]['path']]


def test_a_rejected_file_leaves_the_live_one_unchanged(tmp_path, run_module):
    run_module('files', _args(tmp_path))
    args = _args(tmp_path)
    live = args['files'][0]['path']
    args['files'][0].update(content='not json', validate='python3 -c "import json,sys; json.load(open(sys.argv[1]))" %s')
    result = run_module('files', args)
    assert result['failed'] is True
    assert result['msg'].startswith('%s failed to validate, the live file is unchanged: ' % live)
    assert 'JSONDecodeError' in result['msg'] and '\n' not in result['msg']
    assert result['failed_path'] == live
    assert open(live).read() == '{"uid": "a"}\n'
    assert sorted(os.listdir(os.path.dirname(live))) == ['a.json']
    args['files'][0]['content'] = '{"uid": "c"}'
    assert run_module('files', args)['changed_paths'] == [live]


def test_bad_input_is_one_line(tmp_path, run_module):
    (tmp_path / 'grafana' / 'dashboards' / 'a.json').mkdir(parents=True)
    taken = run_module('files', _args(tmp_path))
    assert taken['msg'] == '%s exists and is not a regular file; move it away, or name another file.' % (
        tmp_path / 'grafana' / 'dashboards' / 'a.json')
    empty = run_module('files', {'files': [{'path': str(tmp_path / 'x')}]})
    assert empty['msg'] == '%s has no content: give it in files or in secret_contents.' % (tmp_path / 'x')


def test_absent_files_go_and_missing_ones_are_no_change(tmp_path, run_module):
    shared = tmp_path / 'shared'
    shared.mkdir()
    for name in ('ours.yml', 'theirs.yml'):
        (shared / name).write_text(name)
    args = {'absent': [str(shared / 'ours.yml'), str(shared / 'never.yml')]}
    checked = run_module('files', args, check_mode=True)
    assert (checked['changed'], checked['removed']) == (True, [str(shared / 'ours.yml')])
    assert (shared / 'ours.yml').exists()
    assert run_module('files', args)['removed'] == [str(shared / 'ours.yml')]
    assert sorted(os.listdir(str(shared))) == ['theirs.yml']
    again = run_module('files', args)
    assert (again['changed'], again['removed']) == (False, [])
