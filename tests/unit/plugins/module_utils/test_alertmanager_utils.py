# -*- coding: utf-8 -*-
"""The Alertmanager helpers: metrics text, counters, and the receivers of the
config Alertmanager reports back."""

import pytest

from ansible_collections.coinpilot.monitoring.plugins.module_utils._alertmanager import (
    counter_by, increase, receiver_integrations)
from ansible_collections.coinpilot.monitoring.plugins.module_utils._http import parse_metrics

# Alertmanager 0.33.1's own rendering of a config (/api/v2/status, config.original).
ORIGINAL = '''global:
  resolve_timeout: 5m
route:
  receiver: discord
  routes:
  - receiver: mail
    matchers:
    - severity="critical"
receivers:
- name: blackhole
  labels:
    name: blackhole
- name: discord
  labels:
    name: discord
  discord_configs:
  - send_resolved: true
    webhook_url_file: /etc/alertmanager/secrets/discord.url
    title: '{{ template "discord.default.title" . }}'
- name: "team two"
  slack_configs:
  - api_url_file: /etc/alertmanager/secrets/slack.url
  webhook_configs:
  - url_file: /etc/alertmanager/secrets/hook.url
- name: mail
  email_configs:
  - to: ops@example.com
templates: []
'''

METRICS = '''# HELP alertmanager_notifications_total The total number of attempted notifications.
# TYPE alertmanager_notifications_total counter
alertmanager_notifications_total{integration="discord"} 3
alertmanager_notifications_total{integration="email"} 0
alertmanager_notifications_failed_total{integration="discord",reason="other"} 1
alertmanager_notifications_failed_total{integration="discord",reason="serverError"} 2
alertmanager_config_hash 1.50113901283484e+14
weird_metric{label="a \\"quoted\\" value"} 7
not a sample line
alertmanager_build_info{version="0.33.1"} NaN
'''


def test_receiver_integrations():
    assert receiver_integrations(ORIGINAL) == {
        'blackhole': [], 'discord': ['discord'], 'team two': ['slack', 'webhook'], 'mail': ['email']}


@pytest.mark.parametrize('text', ['', None, 'global:\n  resolve_timeout: 5m\n'])
def test_receiver_integrations_without_receivers(text):
    assert receiver_integrations(text) == {}


def test_parse_metrics():
    metrics = parse_metrics(METRICS)
    assert metrics[('alertmanager_notifications_total', (('integration', 'discord'),))] == 3
    assert metrics[('alertmanager_config_hash', ())] == pytest.approx(1.50113901283484e+14)
    assert metrics[('weird_metric', (('label', 'a \\"quoted\\" value'),))] == 7
    assert len([k for k in metrics if k[0] == 'alertmanager_notifications_failed_total']) == 2


def test_counter_by():
    metrics = parse_metrics(METRICS)
    assert counter_by(metrics, 'alertmanager_notifications_total', 'integration') == {'discord': 3, 'email': 0}
    assert counter_by(metrics, 'alertmanager_notifications_failed_total', 'reason', None) == {'other': 1, 'serverError': 2}
    assert counter_by(metrics, 'alertmanager_notifications_total', 'integration', {'email'}) == {'email': 0}


@pytest.mark.parametrize('before, after, grown', [
    ({'a': 1}, {'a': 3}, {'a': 2}),
    ({'a': 1}, {'a': 1}, {}),
    ({}, {'a': 2}, {'a': 2}),
    # A counter that went down was reset (Alertmanager restarted): count from zero.
    ({'a': 5}, {'a': 1}, {'a': 1}),
])
def test_increase(before, after, grown):
    assert increase(before, after) == grown
