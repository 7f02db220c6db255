# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
name: duration_seconds
short_description: The seconds in a Prometheus duration
version_added: 0.1.0
description:
  - Converts a duration as Prometheus writes it (C(15s), C(1h30m), C(500ms), C(2d), C(0)) to seconds.
  - It reads exactly what the P(coinpilot.monitoring.duration#test) test accepts, with the same units (a year is
    365 days), so a value the preflight let through converts to the number Prometheus uses.
  - Anything else, text or not, fails the task with a message that names the value.
author:
  - CoinPilot platform team (@coinpilot)
options:
  _input:
    description: The duration.
    type: str
    required: true
'''

EXAMPLES = r'''
- name: The longest scrape interval, in seconds
  ansible.builtin.set_fact:
    _longest: "{{ ['15s', '1m', '1h30m'] | map('coinpilot.monitoring.duration_seconds') | max }}"  # 5400.0
'''

RETURN = r'''
_value:
  description: The seconds, as a float (C(500ms) is V(0.5)).
  type: float
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.coinpilot.monitoring.plugins.module_utils._duration import parse_duration


def duration_seconds(value):
    seconds = parse_duration(value)
    if seconds is None:
        raise AnsibleFilterError('duration_seconds: %r is not a Prometheus duration; write one such as 30s, 5m or '
                                 '1h30m.' % (value,))
    return seconds


class FilterModule(object):

    def filters(self):
        return {'duration_seconds': duration_seconds}
