# -*- coding: utf-8 -*-
"""role_options: the options of one entry point of a role's argument spec."""

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.coinpilot.monitoring.plugins.lookup.role_options import LookupModule


def _lookup(roles, **kwargs):
    loader = DataLoader()
    return LookupModule(loader=loader, templar=Templar(loader=loader)).run(roles, variables={}, **kwargs)


def test_each_role_gives_its_main_options_in_order():
    node_exporter, grafana = _lookup(['node_exporter', 'grafana'])
    assert node_exporter['node_exporter_port']['type'] == 'int'
    assert all(name.startswith('node_exporter_') for name in node_exporter)
    assert grafana['grafana_admin_password'].get('no_log') is True


def test_another_entry_point_and_a_missing_one():
    lock, missing = _lookup(['release', 'node_exporter'], entry_point='lock')
    assert 'release_lock_action' in lock
    assert missing == {}


def test_an_unknown_role_is_refused_in_one_line():
    with pytest.raises(AnsibleError, match='^nope is not a role of coinpilot.monitoring with an argument spec$'):
        _lookup(['nope'])
