# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure helpers that expand Grafana template syntax in PromQL as Grafana does.

Private to this collection. Nothing here does I/O, so every rule can be unit
tested on its own. The behaviour follows Grafana's template service and its
Prometheus datasource, for the part of it that public dashboards use
(docs/dashboard-features.md counts them): variable references, escaping of
multi-value and "All" selections, and the interval macros. What is left out
is named by ``unsupported`` instead of being expanded wrongly.
"""

import math
import re

from ansible_collections.coinpilot.monitoring.plugins.module_utils import _duration

ALL_VALUE = '$__all'

# $var | ${var} | ${var.field} | ${var:fmt}. Grafana's deprecated [[var]] is
# matched too, only so that unsupported() can name it.
VARIABLE_RE = re.compile(r'\$(\w+)|\$\{(\w+)(?:\.[^:^}]+)?(?::([^}]+))?\}|\[\[(\w+?)(?::\w+)?\]\]')

# The macros real dashboards use (docs/dashboard-features.md).
MACROS = ('__interval', '__rate_interval', '__range')


def parse_duration(text):
    """Seconds in a Grafana/Prometheus duration ("1h30m", "15s", ">10s", "30").

    A bare number means seconds, as Grafana reads it. Returns None for an
    empty value and raises ValueError for anything else it cannot read.
    """
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text)
    text = str(text).strip().lstrip('>').strip()
    if not text:
        return None
    if re.match(r'^\d+(\.\d+)?$', text):
        return float(text)
    # Dashboards carry what Grafana accepts ("1.5h"), not only what
    # Prometheus does, hence the looser reading.
    seconds = _duration.parse_duration(text, strict=False)
    if seconds is None:
        raise ValueError('not a duration: %r' % text)
    return seconds


def format_duration(seconds):
    """A PromQL duration for ``seconds``: whole seconds as "Ns", else "Nms"."""
    # PromQL has no zero-length range, so anything below 1 ms becomes 1 ms.
    ms = max(1, int(round(seconds * 1000)))
    if ms % 1000 == 0:
        return '%ds' % (ms // 1000)
    return '%dms' % ms


# Grafana's interval rounding table: (upper bound, rounded value), both in ms.
_ROUND_TABLE = [
    (15, 10), (35, 20), (75, 50), (150, 100), (350, 200), (750, 500),
    (1500, 1000), (3500, 2000), (7500, 5000), (12500, 10000), (17500, 15000),
    (25000, 20000), (45000, 30000), (90000, 60000), (210000, 120000),
    (450000, 300000), (750000, 600000), (1050000, 900000), (1500000, 1200000),
    (2700000, 1800000), (5400000, 3600000), (9000000, 7200000),
    (16200000, 10800000), (32400000, 21600000), (86400000, 43200000),
    (604800000, 86400000), (1814400000, 604800000), (3628800000, 2592000000),
]


def round_interval(ms):
    for bound, rounded in _ROUND_TABLE:
        if ms < bound:
            return rounded
    return 31536000000


def calculate_interval(range_s, max_data_points, min_interval_s=None):
    """``$__interval`` in seconds: the range over the data points, rounded the
    way Grafana rounds it, and never below the minimum interval."""
    points = max(1, int(max_data_points or 1))
    interval_ms = round_interval(range_s * 1000.0 / points)
    if min_interval_s and min_interval_s * 1000.0 > interval_ms:
        interval_ms = min_interval_s * 1000.0
    return interval_ms / 1000.0


def adjust_interval(dynamic_s, min_step_s, range_s, factor=1):
    """The query step Grafana's Prometheus datasource sends: Prometheus
    refuses more than 11000 points per series, hence the safe floor."""
    safe = math.ceil(range_s / 11000.0)
    return max(dynamic_s * (factor or 1), min_step_s or 0, safe)


def rate_interval(interval_s, scrape_s):
    """``$__rate_interval``: long enough for rate() to see two samples."""
    return max(interval_s + scrape_s, 4 * scrape_s)


def macros(range_s, interval_s, scrape_s):
    """``$__range``, ``$__interval`` and ``$__rate_interval`` as text."""
    return {'__range': '%ds' % int(round(range_s)), '__interval': format_duration(interval_s),
            '__rate_interval': format_duration(rate_interval(interval_s, scrape_s))}


class Variable:
    """A dashboard variable after resolution.

    ``current`` is a list of selected values; ``is_all`` says "All" is
    selected, in which case ``options`` are the values it stands for.
    """

    def __init__(self, name, current=None, options=None, multi=False, include_all=False,
                 all_value=None, is_all=False):
        self.name = name
        self.current = list(current or [])
        self.options = list(options or [])
        self.multi = bool(multi)
        self.include_all = bool(include_all)
        self.all_value = all_value or None
        self.is_all = bool(is_all)

    def values(self):
        """The concrete values the selection stands for (repeats iterate these)."""
        if self.is_all:
            return list(self.options)
        return list(self.current)

    def summary(self):
        if self.is_all:
            value = ALL_VALUE
        elif self.multi:
            value = self.current
        else:
            value = self.current[0] if self.current else ''
        return {'value': value, 'values': self.values(), 'all': self.is_all}


def prometheus_regular_escape(value):
    return value.replace('\\', '\\\\').replace("'", "\\\\'")


def prometheus_special_regex_escape(value):
    value = value.replace('\\', '\\\\\\\\')
    return re.sub(r"[$^*{}\[\]'+?.()|]", lambda m: '\\\\' + m.group(0), value)


def regex_escape(value):
    return re.sub(r'[\\^$*+?.()|\[\]{}/]', lambda m: '\\' + m.group(0), value)


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _alternation(escaped):
    return escaped[0] if len(escaped) == 1 else '(' + '|'.join(escaped) + ')'


def format_value(value, fmt, variable=None):
    """A value (string or list) as Grafana puts it into a Prometheus query.

    ``fmt`` None is the Prometheus datasource's own formatter: a variable
    that can hold one value only is quoted for a string literal; a
    multi-value or "All" variable becomes an escaped regex alternation.
    ``regex`` is the one named format real dashboards use in queries; any
    other gives the values comma separated, as titles show them (queries
    that name one are refused by ``unsupported``).
    """
    if fmt is None:
        if variable is None or not (variable.multi or variable.include_all):
            return ','.join(prometheus_regular_escape(v) for v in _as_list(value))
        return _alternation([prometheus_special_regex_escape(v) for v in _as_list(value)])
    if fmt == 'regex':
        return _alternation([regex_escape(v) for v in _as_list(value)])
    return ','.join(_as_list(value))


def interpolate(text, variables, scoped=None, builtins=None, default_format=None):
    """Expand every variable reference in ``text``.

    ``variables`` maps names to Variable; ``scoped`` maps names to one value
    (a repeated panel's own value wins over the dashboard's selection);
    ``builtins`` maps macro names such as ``__rate_interval`` to strings.
    Unknown names, and the [[var]] syntax, are left as written.
    """
    if not text or not isinstance(text, str):
        return text
    scoped = scoped or {}
    builtins = builtins or {}

    def replace(match):
        name = match.group(1) or match.group(2)
        fmt = match.group(3) or default_format
        variable = variables.get(name)
        if name in scoped:
            return format_value(scoped[name], fmt, variable)
        if name in builtins:
            return str(builtins[name])
        if variable is None:
            return match.group(0)
        if variable.is_all:
            # An allValue is taken as written: no public dashboard puts a
            # variable in one.
            return variable.all_value or format_value(variable.options, fmt, variable)
        value = variable.current if variable.multi else (variable.current[0] if variable.current else '')
        return format_value(value, fmt, variable)

    return VARIABLE_RE.sub(replace, text)


def referenced_names(text):
    """Variable names that ``text`` refers to."""
    if not text or not isinstance(text, str):
        return set()
    return {m.group(1) or m.group(2) for m in VARIABLE_RE.finditer(text)} - {None}


def unsupported(text, unresolved=None):
    """What ``text`` uses that this check does not expand, one phrase each.

    Grafana's deprecated [[var]], a named format other than regex, a macro
    other than ``MACROS``, and a variable the check did not resolve
    (``unresolved`` maps its name to the reason). A panel that uses one is
    reported as such rather than sent to Prometheus half expanded.
    """
    found = []
    for match in VARIABLE_RE.finditer(text or ''):
        name = match.group(1) or match.group(2)
        if name is None:
            found.append('%s (write $%s)' % (match.group(0), match.group(4)))
        elif match.group(3) not in (None, 'regex'):
            found.append('%s (the %s format)' % (match.group(0), match.group(3)))
        elif name.startswith('__') and name not in MACROS:
            found.append('%s (a macro)' % match.group(0))
        elif name in (unresolved or {}):
            found.append('%s (%s)' % (match.group(0), unresolved[name]))
    return sorted(set(found), key=found.index)


_LABEL_VALUES_RE = re.compile(r'^\s*label_values\(\s*(?:(.+?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$', re.S)
_QUERY_RESULT_RE = re.compile(r'^\s*query_result\(\s*(.+)\s*\)\s*$', re.S)


def parse_variable_query(query):
    """Classify a Prometheus variable query as Grafana does.

    Returns ``('label_values', metric_or_None, label)`` or
    ``('query_result', expr)``, the two kinds real dashboards use, else
    ``(None, query)``.
    """
    if isinstance(query, dict):
        query = query.get('query') or ''
    query = query or ''
    match = _LABEL_VALUES_RE.match(query)
    if match:
        return ('label_values', match.group(1) or None, match.group(2))
    match = _QUERY_RESULT_RE.match(query)
    if match:
        return ('query_result', match.group(1))
    return (None, query.strip())


def metric_text(labels):
    """``name{label="value",...}`` as Grafana writes a series for regex matching."""
    labels = dict(labels or {})
    name = labels.pop('__name__', '')
    return name + '{' + ','.join('%s="%s"' % (k, v) for k, v in labels.items()) + '}'


def query_result_texts(data):
    """Grafana's text for each element of a query_result() answer."""
    texts = []
    if not data:
        return texts
    rtype = data.get('resultType')
    result = data.get('result')
    if rtype in ('scalar', 'string'):
        return ['{} %s %d' % (result[1], int(float(result[0]) * 1000))] if result else []
    for item in result or []:
        value = item.get('value') or [0, '']
        texts.append('%s %s %d' % (metric_text(item.get('metric')), value[1], int(float(value[0]) * 1000)))
    return texts


def parse_js_regex(text):
    """Compile a variable's regex field: ``/pattern/`` as Grafana writes it,
    or a bare pattern. ValueError for the JavaScript flags and named groups
    no public dashboard uses."""
    if not text:
        return None
    match = re.match(r'^/(.*)/([a-z]*)$', text, re.S)
    if match and match.group(2):
        raise ValueError('the flags /%s are not supported' % match.group(2))
    pattern = match.group(1) if match else text
    if re.search(r'\(\?<\w', pattern):
        raise ValueError('named groups are not supported; capture the value with group 1')
    return re.compile(pattern)


def apply_variable_regex(values, regex):
    """Filter and extract option values with a variable's regex.

    Returns ``[(text, value), ...]`` without duplicates, keeping order: the
    regex's group 1 when it has groups (an option without it is dropped),
    else the value whole when the regex matches.
    """
    out = []
    seen = set()
    for raw in values:
        got = raw
        if regex is not None:
            match = regex.search(raw)
            got = (match.group(1) if match.re.groups else raw) if match else None
        if got is None or got in seen:
            continue
        seen.add(got)
        out.append((got, got))
    return out


def sort_options(pairs, sort):
    """Order options by Grafana's sort codes 1 (alphabetical) and 5
    (alphabetical, case-insensitive); any other keeps the query's order."""
    sort = int(sort or 0)
    if sort == 1:
        return sorted(pairs, key=lambda p: p[0])
    if sort == 5:
        return sorted(pairs, key=lambda p: p[0].lower())
    return list(pairs)


def parse_custom_options(query):
    """Options of a custom variable: comma separated, ``\\,`` for a literal comma."""
    return [(part, part) for part in (p.replace('\\,', ',').strip() for p in re.findall(r'(?:\\,|[^,])+', query or ''))]
