# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
name: duration
short_description: Is the value a duration Prometheus accepts
version_added: 0.1.0
description:
  - True when the value is text that Prometheus reads as a duration, such as C(30s), C(5m), C(1h30m), C(15d) or
    C(500ms) - whole numbers, units C(y), C(w), C(d), C(h), C(m), C(s), C(ms) from the biggest down, each at most
    once - or C(0).
  - The preflights check durations with this test, so a value that passes is one Prometheus and Alertmanager start
    with, and one the P(coinpilot.monitoring.duration_seconds#filter) filter converts.
author:
  - CoinPilot platform team (@coinpilot)
options:
  _input:
    description: The value to check. Anything that is not text is not a duration.
    type: raw
    required: true
  units:
    description:
      - The units allowed, a subset of C(y), C(w), C(d), C(h), C(m), C(s) and C(ms).
      - Use V([h, m, s, ms]) for a program whose flag is a Go duration, which has no C(d), C(w) or C(y).
    type: list
    elements: str
'''

EXAMPLES = r'''
- name: Reject a malformed scrape interval
  ansible.builtin.assert:
    that: prometheus_global_scrape_interval is coinpilot.monitoring.duration
    fail_msg: "prometheus_global_scrape_interval is '{{ prometheus_global_scrape_interval }}'; write a duration such as 30s."

- name: Reject a housekeeping interval that Go cannot read
  ansible.builtin.assert:
    that: cadvisor_housekeeping_interval is coinpilot.monitoring.duration(units=['h', 'm', 's', 'ms'])
'''

RETURN = r'''
_value:
  description: V(true) if the value is a duration with only the allowed units, V(false) otherwise.
  type: bool
'''

from ansible_collections.coinpilot.monitoring.plugins.module_utils._duration import parse_duration


def duration(value, units=None):
    return parse_duration(value, units=units) is not None


class TestModule(object):

    def tests(self):
        return {'duration': duration}
