# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure helpers that expand Grafana template syntax in PromQL as Grafana does.

Private to this collection. Nothing here does I/O, so every rule can be unit
tested on its own. The behaviour follows Grafana's template service and its
Prometheus datasource: variable syntaxes, formats, escaping of multi-value and
"All" selections, and the interval macros.
"""

import json
import math
import re

from ansible_collections.coinpilot.monitoring.plugins.module_utils import _duration

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 is not supported by the modules
    quote = None

ALL_VALUE = '$__all'

# $var | [[var]] | [[var:fmt]] | ${var} | ${var.field} | ${var:fmt}
VARIABLE_RE = re.compile(r'\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}')


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


def range_builtins(range_s):
    range_ms = int(round(range_s * 1000))
    range_whole = int(round(range_s))
    return {'__range_ms': str(range_ms), '__range_s': str(range_whole), '__range': '%ds' % range_whole}


def interval_builtins(interval_s, scrape_s):
    return {
        '__interval': format_duration(interval_s),
        '__interval_ms': str(int(round(interval_s * 1000))),
        '__rate_interval': format_duration(rate_interval(interval_s, scrape_s)),
        '__rate_interval_ms': str(int(round(rate_interval(interval_s, scrape_s) * 1000))),
    }


class Variable:
    """A dashboard variable after resolution.

    ``current`` is a list of selected values; ``is_all`` says "All" is
    selected, in which case ``options`` are the values it stands for.
    """

    def __init__(self, name, current=None, options=None, multi=False, include_all=False,
                 all_value=None, is_all=False, texts=None):
        self.name = name
        self.current = list(current or [])
        self.options = list(options or [])
        self.multi = bool(multi)
        self.include_all = bool(include_all)
        self.all_value = all_value or None
        self.is_all = bool(is_all)
        self.texts = texts or {}

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


def _quote_each(values, quote_char):
    esc = '\\' + quote_char
    return ','.join(quote_char + v.replace(quote_char, esc) + quote_char for v in values)


def _encode(value):
    return quote(value, safe="-_.!~*'()")


def format_value(value, fmt, variable=None, name=None):
    """Format a value (string or list) the way Grafana's named formats do.

    ``fmt`` None means the Prometheus datasource's own formatter: a variable
    that can hold one value only is quoted for a string literal; a multi-value
    or "All" variable becomes an escaped regex alternation.
    """
    if fmt is None:
        multi = variable is not None and (variable.multi or variable.include_all)
        if not multi:
            if isinstance(value, list):
                return ','.join(prometheus_regular_escape(v) for v in value)
            return prometheus_regular_escape(value)
        escaped = [prometheus_special_regex_escape(v) for v in _as_list(value)]
        if len(escaped) == 1:
            return escaped[0]
        return '(' + '|'.join(escaped) + ')'
    if fmt == 'regex':
        escaped = [regex_escape(v) for v in _as_list(value)]
        if len(escaped) == 1:
            return escaped[0]
        return '(' + '|'.join(escaped) + ')'
    values = _as_list(value)
    if fmt == 'pipe':
        return '|'.join(values)
    if fmt in ('csv', 'raw'):
        return ','.join(values)
    if fmt == 'json':
        return json.dumps(value)
    if fmt == 'doublequote':
        return _quote_each(values, '"')
    if fmt == 'singlequote':
        return _quote_each(values, "'")
    if fmt == 'sqlstring':
        return ','.join("'" + v.replace("'", "''") + "'" for v in values)
    if fmt == 'percentencode':
        if isinstance(value, list) and len(value) > 1:
            return _encode('{' + ','.join(value) + '}')
        return _encode(values[0] if values else '')
    if fmt == 'text':
        return ' + '.join(values)
    if fmt == 'queryparam':
        return '&'.join('var-%s=%s' % (_encode(name or ''), _encode(v)) for v in values)
    # glob, and Grafana's fallback for a format it does not know
    if isinstance(value, list) and len(value) > 1:
        return '{' + ','.join(value) + '}'
    return values[0] if values else ''


def interpolate(text, variables, scoped=None, builtins=None, default_format=None, _depth=0):
    """Expand every variable reference in ``text``.

    ``variables`` maps names to Variable; ``scoped`` maps names to one value
    (a repeated panel's own value wins over the dashboard's selection);
    ``builtins`` maps macro names such as ``__rate_interval`` to strings.
    Unknown names are left as written, as Grafana leaves them.
    """
    if not text or not isinstance(text, str):
        return text
    scoped = scoped or {}
    builtins = builtins or {}

    def replace(match):
        name = match.group(1) or match.group(2) or match.group(4)
        fmt = match.group(3) or match.group(6) or default_format
        variable = variables.get(name)
        if name in scoped:
            return format_value(scoped[name], fmt, variable, name)
        if name in builtins:
            return str(builtins[name])
        if variable is None:
            return match.group(0)
        if variable.is_all:
            if variable.all_value and fmt not in ('text', 'percentencode'):
                if _depth > 5:
                    return variable.all_value
                return interpolate(variable.all_value, variables, scoped, builtins, default_format, _depth + 1)
            if fmt == 'text':
                return 'All'
            return format_value(variable.options, fmt, variable, name)
        if fmt == 'text' and variable.texts:
            return format_value([variable.texts.get(v, v) for v in variable.current], fmt, variable, name)
        value = variable.current if variable.multi else (variable.current[0] if variable.current else '')
        return format_value(value, fmt, variable, name)

    return VARIABLE_RE.sub(replace, text)


def referenced_names(text):
    """Variable names that ``text`` refers to, in any syntax."""
    if not text or not isinstance(text, str):
        return set()
    return {m.group(1) or m.group(2) or m.group(4) for m in VARIABLE_RE.finditer(text)}


_LABEL_VALUES_RE = re.compile(r'^\s*label_values\(\s*(?:(.+?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$', re.S)
_LABEL_NAMES_RE = re.compile(r'^\s*label_names\(\s*(.*?)\s*\)\s*$', re.S)
_METRICS_RE = re.compile(r'^\s*metrics\(\s*(.+?)\s*\)\s*$', re.S)
_QUERY_RESULT_RE = re.compile(r'^\s*query_result\(\s*(.+)\s*\)\s*$', re.S)


def parse_variable_query(query):
    """Classify a Prometheus variable query as Grafana does.

    Returns one of ``('label_values', metric_or_None, label)``,
    ``('label_names', match_or_None)``, ``('metrics', regex)``,
    ``('query_result', expr)`` or ``('series', expr)``.
    """
    if isinstance(query, dict):
        query = query.get('query') or ''
    query = query or ''
    match = _LABEL_VALUES_RE.match(query)
    if match:
        return ('label_values', match.group(1) or None, match.group(2))
    match = _LABEL_NAMES_RE.match(query)
    if match:
        return ('label_names', match.group(1) or None)
    match = _METRICS_RE.match(query)
    if match:
        return ('metrics', match.group(1))
    match = _QUERY_RESULT_RE.match(query)
    if match:
        return ('query_result', match.group(1))
    return ('series', query.strip())


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
    """Compile a variable's regex field. Grafana takes ``/pattern/flags``
    (JavaScript syntax) or a bare pattern; named groups ``(?<name>...)``
    become Python's ``(?P<name>...)``."""
    if not text:
        return None
    flags = 0
    match = re.match(r'^/(.*)/([gimsuy]*)$', text, re.S)
    if match:
        pattern, jsflags = match.group(1), match.group(2)
        if 'i' in jsflags:
            flags |= re.I
        if 'm' in jsflags:
            flags |= re.M
        if 's' in jsflags:
            flags |= re.S
    else:
        pattern = text
    pattern = re.sub(r'\(\?<(?![=!])', '(?P<', pattern)
    return re.compile(pattern, flags)


def apply_variable_regex(values, regex):
    """Filter and extract option values with a variable's regex.

    Returns ``[(text, value), ...]`` without duplicates, keeping order. With
    named groups ``text`` and ``value`` they are used; otherwise group 1; a
    regex without groups only filters, and keeps the value whole.
    """
    out = []
    seen = set()
    for raw in values:
        if regex is None:
            pair = (raw, raw)
        else:
            match = regex.search(raw)
            if not match:
                continue
            groups = match.groupdict()
            if groups.get('value') is not None or groups.get('text') is not None:
                value = groups.get('value') if groups.get('value') is not None else groups.get('text')
                text = groups.get('text') if groups.get('text') is not None else value
                pair = (text, value)
            elif match.re.groups >= 1:
                got = match.group(1)
                if got is None:
                    continue
                pair = (got, got)
            else:
                pair = (raw, raw)
        if pair[1] in seen:
            continue
        seen.add(pair[1])
        out.append(pair)
    return out


def _natural_key(text):
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r'(\d+)', text)]


def _number_key(text):
    match = re.search(r'-?\d+(\.\d+)?', text)
    return float(match.group(0)) if match else float('-inf')


def sort_options(pairs, sort):
    """Order options by Grafana's sort codes (0 keeps the query's order)."""
    sort = int(sort or 0)
    if sort in (1, 2):
        return sorted(pairs, key=lambda p: p[0], reverse=sort == 2)
    if sort in (3, 4):
        return sorted(pairs, key=lambda p: _number_key(p[0]), reverse=sort == 4)
    if sort in (5, 6):
        return sorted(pairs, key=lambda p: p[0].lower(), reverse=sort == 6)
    if sort in (7, 8):
        return sorted(pairs, key=lambda p: _natural_key(p[0]), reverse=sort == 8)
    return list(pairs)


def parse_custom_options(query):
    """Options of a custom variable: comma separated, ``\\,`` for a literal
    comma, and ``text : value`` pairs."""
    out = []
    for part in re.findall(r'(?:\\,|[^,])+', query or ''):
        part = part.replace('\\,', ',')
        match = re.match(r'^\s*(.+)\s:\s(.+)$', part)
        if match:
            out.append((match.group(1).strip(), match.group(2).strip()))
        else:
            out.append((part.strip(), part.strip()))
    return out
