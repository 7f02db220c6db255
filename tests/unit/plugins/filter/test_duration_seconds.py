# -*- coding: utf-8 -*-
"""The coinpilot.monitoring.duration_seconds filter, over module_utils/_duration.py."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.coinpilot.monitoring.plugins.filter.duration_seconds import FilterModule, duration_seconds


@pytest.mark.parametrize('text, seconds', [('15s', 15), ('1h30m', 5400), ('500ms', 0.5), ('2d', 172800), ('0', 0)])
def test_seconds(text, seconds):
    assert duration_seconds(text) == pytest.approx(seconds)
    assert isinstance(duration_seconds(text), float)


@pytest.mark.parametrize('value', ['', '15', '1m1h', '1.5h', 15, None])
def test_not_a_duration_fails_naming_the_value(value):
    with pytest.raises(AnsibleFilterError, match='is not a Prometheus duration'):
        duration_seconds(value)


def test_registered_under_its_name():
    assert FilterModule().filters() == {'duration_seconds': duration_seconds}
