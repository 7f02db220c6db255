# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The collection's one reader of durations such as 30s, 1h30m or 500ms.

Private to this collection. The preflights, the remote_write checks, the
verification and the PromQL helpers all read durations here, so that what a
preflight accepts is exactly what Prometheus will start with, and a value is
worth the same number of seconds everywhere.
"""

import re

# Biggest first: Prometheus requires this order, and each unit at most once.
UNITS = ('y', 'w', 'd', 'h', 'm', 's', 'ms')
_MS = {'y': 31536000000, 'w': 604800000, 'd': 86400000, 'h': 3600000, 'm': 60000, 's': 1000, 'ms': 1}
# 'ms' first, or "5ms" would read as 5 minutes and a stray "s".
_PART_RE = re.compile(r'([0-9]+(?:\.[0-9]+)?)(ms|[ywdhms])')
# Prometheus keeps a duration in int64 nanoseconds and refuses a longer one.
_MAX_NS = 2 ** 63 - 1


def parse_duration(text, units=None, strict=True):
    """Seconds in ``text``, or None when it is not a duration.

    Strict (the default) is the grammar of Prometheus' model.ParseDuration,
    which every duration in its configuration goes through: integer counts,
    units y w d h m s ms from the biggest down, each at most once, "0" alone,
    and at most about 292 years. A value that passes here is one Prometheus
    and Alertmanager start with.

    ``units`` narrows the units accepted, for programs whose flags are Go
    durations (Go has no d, w or y): a value that passes with
    ``('h', 'm', 's', 'ms')`` is also one Go's time.ParseDuration reads.

    ``strict=False`` is the looser reading Grafana's values get in _promql:
    decimal counts ("1.5h") and units in any order or repeated.
    """
    if isinstance(units, str):
        units = (units,)
    allowed = UNITS if units is None else tuple(units)
    unknown = [unit for unit in allowed if unit not in _MS]
    if unknown:
        raise ValueError('unknown duration unit(s) %s; use %s' % (', '.join(map(str, unknown)), ', '.join(UNITS)))
    if not isinstance(text, str) or not text:
        return None
    if text == '0':
        return 0.0
    total_ms = 0
    last = -1
    pos = 0
    while pos < len(text):
        match = _PART_RE.match(text, pos)
        if not match:
            return None
        count, unit = match.groups()
        if unit not in allowed:
            return None
        if strict:
            if '.' in count or UNITS.index(unit) <= last:
                return None
            last = UNITS.index(unit)
            total_ms += int(count) * _MS[unit]
        else:
            total_ms += float(count) * _MS[unit]
        pos = match.end()
    if strict and total_ms * 1000000 > _MAX_NS:
        return None
    return total_ms / 1000.0
