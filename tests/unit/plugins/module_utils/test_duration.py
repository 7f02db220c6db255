# -*- coding: utf-8 -*-
"""The one duration parser: Prometheus' grammar, the units restriction for Go
durations, and the looser reading _promql gives Grafana's values."""

import pytest

from ansible_collections.coinpilot.monitoring.plugins.module_utils._duration import parse_duration

GO_UNITS = ('h', 'm', 's', 'ms')


@pytest.mark.parametrize('text, seconds', [
    ('30s', 30), ('5m', 300), ('1h30m', 5400), ('15d', 1296000), ('2w', 1209600), ('1y', 31536000),
    ('500ms', 0.5), ('100ms', 0.1), ('1m500ms', 60.5), ('1y2w3d4h5m6s7ms', 31536000 + 1209600 + 259200 + 14400 + 306.007),
    ('0', 0), ('0s', 0), ('00010s', 10),
    # Prometheus keeps int64 nanoseconds: 106751d23h47m16s854ms is the longest.
    ('106751d23h47m16s854ms', 9223372036.854),
])
def test_valid(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize('text', [
    '', ' ', '30', '1', 's', 'ms', '5x', '5M', '5S', '-5s', '+5s', '1.5h', '.5s', '5s ', ' 5s', '5s\n', '1h 30m',
    '1m1h', '30s1m', '5ms1s',     # units out of order
    '5s5s', '1h1h',               # a unit twice
    '5ms5m', '1sm', '1mss',       # ms vs m, and trailing letters
    '106751d23h47m16s855ms', '300y',  # beyond int64 nanoseconds
    '00', '0.0', '0x10s', '\u0661\u0665s',  # "0" only alone; ASCII digits only
])
def test_invalid(text):
    assert parse_duration(text) is None


@pytest.mark.parametrize('value', [None, 30, 30.0, True, b'30s', ['30s'], {'30s': 1}])
def test_non_strings_are_not_durations(value):
    assert parse_duration(value) is None


def test_ms_is_milliseconds_not_minutes_then_seconds():
    assert parse_duration('5ms') == 0.005
    assert parse_duration('5m') == 300
    assert parse_duration('5m5s') == 305


@pytest.mark.parametrize('text, seconds', [('10s', 10), ('1m30s', 90), ('2h', 7200), ('250ms', 0.25), ('0', 0)])
def test_units_allow(text, seconds):
    assert parse_duration(text, units=GO_UNITS) == seconds


@pytest.mark.parametrize('text', ['1d', '2w', '1y', '1d12h', '1.5s', '30s1m'])
def test_units_refuse(text):
    assert parse_duration(text, units=GO_UNITS) is None


def test_units_without_ms_do_not_read_ms_as_minutes():
    assert parse_duration('5ms', units=('m', 's')) is None
    assert parse_duration('5m', units=('m', 's')) == 300


def test_a_single_unit_may_be_given_as_text():
    assert parse_duration('5m', units='m') == 300
    assert parse_duration('5s', units='m') is None


@pytest.mark.parametrize('units', [('us',), ('h', 'M'), ('ns', 's')])
def test_unknown_units_are_an_error(units):
    with pytest.raises(ValueError, match='unknown duration unit'):
        parse_duration('5s', units=units)


@pytest.mark.parametrize('text, seconds', [
    ('1.5h', 5400), ('1m1h', 3660), ('5s5s', 10), ('0.5s', 0.5), ('1h30m', 5400), ('300y', 300 * 31536000),
])
def test_loose(text, seconds):
    assert parse_duration(text, strict=False) == pytest.approx(seconds)


@pytest.mark.parametrize('text', ['', '1.5', '.5s', '5x', '1m foo', '-5s'])
def test_loose_still_refuses(text):
    assert parse_duration(text, strict=False) is None
