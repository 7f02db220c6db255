# -*- coding: utf-8 -*-
"""The coinpilot.monitoring.duration test, over module_utils/_duration.py."""

import pytest

# As a module: pytest would take its TestModule class for a test case.
from ansible_collections.coinpilot.monitoring.plugins.test import duration as plugin


@pytest.mark.parametrize('value, units, expected', [
    ('30s', None, True), ('1h30m', None, True), ('15d', None, True), ('0', None, True),
    ('1m1h', None, False), ('30', None, False), (30, None, False), (None, None, False),
    ('10s', ['h', 'm', 's', 'ms'], True), ('1m30s', ['h', 'm', 's', 'ms'], True),
    ('1d', ['h', 'm', 's', 'ms'], False), ('500ms', ['h', 'm', 's'], False),
])
def test_duration(value, units, expected):
    assert plugin.duration(value, units=units) is expected


def test_registered_under_its_name():
    assert plugin.TestModule().tests() == {'duration': plugin.duration}
