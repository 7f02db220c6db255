# -*- coding: utf-8 -*-
"""The polling loop and the wording of connection failures."""

import errno
import socket

import pytest

from ansible_collections.coinpilot.monitoring.plugins.module_utils import _http


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_poll_returns_at_once_when_ok():
    clock = Clock()
    assert _http.poll(lambda: (True, 'r'), 30, clock=clock, sleep=clock.sleep) == (True, 'r')
    assert clock.sleeps == []


def test_poll_backs_off_until_the_deadline():
    clock = Clock()
    assert _http.poll(lambda: (False, 'r'), 10, clock=clock, sleep=clock.sleep) == (False, 'r')
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 2.5]


def test_poll_stops_when_the_condition_holds():
    clock = Clock()
    answers = iter([(False, 1), (False, 2), (True, 3)])
    assert _http.poll(lambda: next(answers), 60, clock=clock, sleep=clock.sleep) == (True, 3)
    assert clock.sleeps == [0.5, 1.0]


def test_poll_retries_transient_errors_and_raises_the_last():
    clock = Clock()

    def check():
        raise _http.ApiError('refused', transient=True)
    with pytest.raises(_http.ApiError, match='refused'):
        _http.poll(check, 2, clock=clock, sleep=clock.sleep)
    assert sum(clock.sleeps) == 2


def test_poll_does_not_retry_permanent_errors():
    clock = Clock()
    calls = []

    def check():
        calls.append(1)
        raise _http.ApiError('401')
    with pytest.raises(_http.ApiError):
        _http.poll(check, 60, clock=clock, sleep=clock.sleep)
    assert calls == [1]


def test_poll_recovers_after_a_transient_error():
    clock = Clock()
    answers = iter([_http.ApiError('starting', transient=True), (True, 'up')])

    def check():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer
    assert _http.poll(check, 10, clock=clock, sleep=clock.sleep) == (True, 'up')


def _chained(inner):
    try:
        try:
            raise inner
        except OSError as exc:
            raise RuntimeError('Max retries exceeded') from exc
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize('exc, words', [
    (ConnectionRefusedError(errno.ECONNREFUSED, 'Connection refused'), 'connection refused'),
    (_chained(ConnectionRefusedError(errno.ECONNREFUSED, 'x')), 'connection refused'),
    (_chained(OSError(errno.EHOSTUNREACH, 'x')), 'host unreachable'),
    (socket.gaierror(-2, 'Name or service not known'), 'name resolution failed (Name or service not known)'),
    (FileNotFoundError(errno.ENOENT, 'x'), 'no such socket'),
    (PermissionError(errno.EACCES, 'x'), 'permission denied'),
    (RuntimeError('something [Errno 111] Connection refused'), 'connection refused'),
    (RuntimeError('odd'), 'odd'),
])
def test_describe_os_error(exc, words):
    assert _http.describe_os_error(exc) == words
