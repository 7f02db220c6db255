# -*- coding: utf-8 -*-
"""role_var: a role variable from the play, else from the owning role's
defaults/main.yml, templated in the play's context."""

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19 trusts every string
    def trust_as_template(value):
        return value

from ansible_collections.coinpilot.monitoring.plugins.lookup.role_var import LookupModule, owner


def _lookup(names, variables):
    loader = DataLoader()
    lookup = LookupModule(loader=loader, templar=Templar(loader=loader, variables=variables))
    return lookup.run(names, variables=variables)


def test_the_play_value_wins_over_the_role_default():
    assert _lookup(['cadvisor_container_name', 'node_exporter_container_name'],
                   {'cadvisor_container_name': 'my-cadvisor'}) == ['my-cadvisor', 'node-exporter']


def test_a_play_value_this_play_cannot_render_falls_back_as_default_would():
    # multihost's store URL reads another host's facts, which verify.yml does not gather.
    assert _lookup(['prometheus_remote_write', 'prometheus_web_port'],
                   {'prometheus_remote_write': trust_as_template("{{ [{'url': hostvars['node1'].ansible_facts.default_ipv4.address}] }}"),
                    'hostvars': {'node1': {'ansible_facts': {}}}, 'prometheus_web_port': 9091}) == [[], 9091]


def test_a_default_keeps_its_type():
    assert _lookup(['prometheus_web_port', 'prometheus_node_exporter_enabled', 'prometheus_app_jobs'], {}) == [9090, True, []]


def test_a_templated_default_is_rendered_in_the_play_context():
    assert _lookup(['compose_adoption_record_dir'], {'monitoring_base_dir': '/srv/mon'}) == ['/srv/mon/compose-adoption/data']
    assert _lookup(['compose_adoption_record_dir'], {}) == ['/opt/coinpilot-monitoring/compose-adoption/data']


def test_the_owner_is_the_longest_role_prefix():
    roles = ['compose', 'compose_adoption', 'node_exporter']
    assert owner('compose_adoption_record_dir', roles) == 'compose_adoption'
    assert owner('node_exporter_port', roles) == 'node_exporter'
    assert owner('monitoring_base_dir', roles) is None


@pytest.mark.parametrize('name, reason', [
    ('monitoring_base_dir', 'no role name starts it'),
    ('grafana_no_such_option', 'no role default in roles/grafana/defaults/main.yml'),
])
def test_an_unknown_variable_is_named(name, reason):
    with pytest.raises(AnsibleError) as err:
        _lookup([name], {})
    assert str(err.value) == '%s is not a variable of a coinpilot.monitoring role (%s)' % (name, reason)
