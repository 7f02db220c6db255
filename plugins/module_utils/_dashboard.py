# -*- coding: utf-8 -*-
# Copyright (c) CoinPilot platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Find every panel of a Grafana dashboard and run its PromQL as Grafana would.

Private to this collection. The walk over panels and the variable selection
are pure; ``DashboardChecker`` adds the Prometheus calls and the thread pool.
"""

import concurrent.futures
import copy
import time

from ansible_collections.coinpilot.monitoring.plugins.module_utils._prometheus import (
    PromQLError, result_has_data, series_count)
from ansible_collections.coinpilot.monitoring.plugins.module_utils import _promql as pq

_NOT_PROMETHEUS_UIDS = ('-- Grafana --', 'grafana', '-- Dashboard --')
_MIXED = '-- Mixed --'


def unwrap_dashboard(obj):
    """Accept a dashboard model, or the ``{"dashboard": ..., "meta": ...}``
    envelope that Grafana's API and exports use."""
    if isinstance(obj, dict) and isinstance(obj.get('dashboard'), dict) and 'panels' not in obj and 'rows' not in obj:
        return obj['dashboard']
    return obj


def walk_panels(dashboard):
    """Every panel with the row it sits in: ``[(panel, row_or_None), ...]``.

    Covers the current schema (rows are panels of type "row"; an expanded row
    owns the panels after it, a collapsed row keeps them in its own list) and
    the old schema (a top-level ``rows`` list).
    """
    found = []
    current_row = None
    for panel in dashboard.get('panels') or []:
        if not isinstance(panel, dict):
            continue
        if panel.get('type') == 'row':
            current_row = panel
            for child in panel.get('panels') or []:
                if isinstance(child, dict):
                    found.append((child, panel))
            continue
        found.append((panel, current_row))
    for row in dashboard.get('rows') or []:
        if not isinstance(row, dict):
            continue
        for panel in row.get('panels') or []:
            if isinstance(panel, dict):
                found.append((panel, row))
    return found


def resolve_library_panel(panel, elements, fetch=None):
    """Replace a library-panel reference by its model.

    ``elements`` is the dashboard's ``__elements`` map (exports carry the
    models there); ``fetch(uid)`` asks Grafana. Returns ``(panel, reason)``
    where reason says why a reference could not be resolved. ``fetch``
    returns ``(model_or_None, why)``.
    """
    ref = panel.get('libraryPanel')
    if not isinstance(ref, dict) or not ref.get('uid') or panel.get('targets'):
        return panel, None
    uid = ref['uid']
    model = None
    element = (elements or {}).get(uid)
    if isinstance(element, dict) and isinstance(element.get('model'), dict):
        model = element['model']
    why = 'not in the dashboard\'s __elements, and no Grafana to ask'
    if model is None and fetch is not None:
        model, why = fetch(uid)
    if not isinstance(model, dict):
        return panel, 'library panel %s (uid %s) could not be resolved: %s' % (ref.get('name') or '', uid, why)
    merged = copy.deepcopy(model)
    for key in ('id', 'gridPos'):
        if key in panel:
            merged[key] = panel[key]
    merged.setdefault('title', ref.get('name'))
    return merged, None


def is_prometheus_datasource(ds, variables_defs):
    """Whether a panel/target datasource reference points at Prometheus.

    An empty reference is the default datasource, which this collection
    provisions as Prometheus. Datasource variables are followed to their
    plugin type.
    """
    if ds is None or ds == '':
        return True
    if isinstance(ds, dict):
        dtype = ds.get('type')
        uid = ds.get('uid') or ''
        if uid in _NOT_PROMETHEUS_UIDS or dtype == 'datasource' and uid != _MIXED:
            return False
        if isinstance(uid, str) and uid.startswith('$'):
            return _datasource_variable_is_prometheus(uid, variables_defs)
        return dtype in (None, '', 'prometheus')
    if isinstance(ds, str):
        if ds in _NOT_PROMETHEUS_UIDS:
            return False
        if ds.startswith('$'):
            return _datasource_variable_is_prometheus(ds, variables_defs)
        return True
    return False


def _datasource_variable_is_prometheus(ref, variables_defs):
    names = pq.referenced_names(ref)
    for var in variables_defs:
        if var.get('name') in names and var.get('type') == 'datasource':
            return (var.get('query') or 'prometheus') == 'prometheus'
    return True


def _is_mixed(ds):
    return ds == _MIXED or (isinstance(ds, dict) and ds.get('uid') == _MIXED)


def _as_values(value):
    """A saved or overridden selection (one value, a list or None) as a list of strings."""
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _current_values(var_def):
    return _as_values((var_def.get('current') or {}).get('value'))


def select_values(var_def, option_values, override=None):
    """Choose the selection as Grafana does when it loads the dashboard.

    Returns ``(current, is_all)``. An override wins. Otherwise the saved
    selection is kept where it is still among the options; if nothing valid
    is left, the first option is taken, and that is "All" when the variable
    includes it.
    """
    include_all = bool(var_def.get('includeAll'))
    multi = bool(var_def.get('multi'))
    if override is not None:
        values = _as_values(override)
        if pq.ALL_VALUE in values or (include_all and values in (['All'], ['all'])):
            return [], True
        return values, False
    saved = _current_values(var_def)
    if pq.ALL_VALUE in saved and include_all:
        return [], True
    if not option_values:
        return saved, False
    kept = [v for v in saved if v in option_values]
    if kept:
        return (kept if multi else kept[:1]), False
    if include_all:
        return [], True
    return [option_values[0]], False


class VariableQueryError(Exception):

    def __init__(self, name, message):
        super().__init__(message)
        self.name = name
        self.message = message


def resolution_order(var_defs):
    """Variables ordered so that each comes after those its query uses."""
    names = {v.get('name') for v in var_defs}
    pending = list(var_defs)
    done = set()
    ordered = []
    while pending:
        for i, var in enumerate(pending):
            deps = (pq.referenced_names(_query_text(var)) | pq.referenced_names(var.get('regex'))) & names
            deps.discard(var.get('name'))
            if deps <= done:
                break
        else:
            i = 0  # a cycle: take them in the dashboard's order
        var = pending.pop(i)
        done.add(var.get('name'))
        ordered.append(var)
    return ordered


def _query_text(var_def):
    query = var_def.get('query')
    if isinstance(query, dict):
        return query.get('query') or ''
    return query if isinstance(query, str) else ''


class DashboardChecker:
    """Resolve a dashboard's variables, then run every panel's PromQL.

    ``client`` is a PrometheusClient; ``library_fetch(uid)`` returns a
    library panel model or None. Times are Unix seconds.
    """

    def __init__(self, client, dashboard, range_s=None, scrape_interval_s=15.0, max_data_points=1000,
                 overrides=None, concurrency=8, library_fetch=None, now=None):
        self.client = client
        self.dashboard = unwrap_dashboard(dashboard)
        self.var_defs = [v for v in ((self.dashboard.get('templating') or {}).get('list') or []) if isinstance(v, dict)]
        self.range_s = range_s or dashboard_range(self.dashboard)
        self.scrape_s = scrape_interval_s
        self.max_data_points = max_data_points
        self.overrides = overrides or {}
        self.concurrency = max(1, int(concurrency))
        self.library_fetch = library_fetch
        self.now = now
        self.variables = {}
        self.variable_errors = []
        self.unresolved = {}
        self.start = self.end = None

    # -- variables ---------------------------------------------------------

    def _dashboard_builtins(self):
        interval = pq.calculate_interval(self.range_s, self.max_data_points, self.scrape_s)
        return pq.macros(self.range_s, interval, self.scrape_s)

    def _find_options(self, var_def, builtins):
        """Run a query variable's query; returns the raw option texts.

        ValueError for a query kind public dashboards do not use, or one that
        uses what ``unsupported`` names (an unresolved variable included)."""
        name = var_def.get('name')
        found = pq.unsupported(_query_text(var_def), self.unresolved)
        if found:
            raise ValueError('a query that uses %s' % ', '.join(found))
        query = pq.interpolate(_query_text(var_def), self.variables, builtins=builtins)
        origin = "variable '%s'" % name
        kind = pq.parse_variable_query(query)
        if kind[0] == 'label_values':
            return self.client.label_values(kind[2], match=kind[1], start=self.start, end=self.end, origin=origin)
        if kind[0] == 'query_result':
            return pq.query_result_texts(self.client.query(kind[1], self.end, origin=origin))
        raise ValueError('a query other than label_values() or query_result()')

    def _query_options(self, var_def, builtins):
        """A query variable's options, or the reason it is not resolved."""
        name = var_def.get('name')
        try:
            raw = self._find_options(var_def, builtins)
        except PromQLError as exc:
            self.variable_errors.append(VariableQueryError(name, exc.message))
            raw = []
        except ValueError as exc:
            return None, str(exc)
        regex_text = pq.interpolate(var_def.get('regex') or '', self.variables, builtins=builtins,
                                    default_format='regex')
        try:
            regex = pq.parse_js_regex(regex_text)
        except Exception as exc:  # re.error or ValueError; report it like a query error
            self.variable_errors.append(VariableQueryError(
                name, "variable '%s' has a regex this check cannot use (%s): %s" % (name, exc, regex_text)))
            regex = None
        return pq.sort_options(pq.apply_variable_regex([str(v) for v in raw], regex), var_def.get('sort')), None

    def resolve_variables(self):
        """Resolve the variables public dashboards use: query, custom,
        interval (a fixed list) and datasource. Any other kind, or an
        interval set to auto, goes to ``unresolved`` with the reason."""
        builtins = self._dashboard_builtins()
        self.variables = {}
        self.variable_errors = []
        self.unresolved = {}
        for var_def in resolution_order(self.var_defs):
            name = var_def.get('name')
            if not name:
                continue
            vtype = var_def.get('type') or 'query'
            override = self.overrides.get(name)
            why = None
            if vtype == 'query':
                pairs, why = self._query_options(var_def, builtins)
            elif vtype in ('custom', 'interval'):
                pairs = pq.parse_custom_options(var_def.get('query'))
            elif vtype == 'datasource':
                saved = _current_values(var_def)
                pairs = [(saved[0], saved[0])] if saved else [('Prometheus', 'Prometheus')]
            elif vtype == 'adhoc':  # Grafana adds its filters itself; no query names it
                continue
            else:
                why = 'a %s variable' % vtype
            chosen = _current_values(var_def) if override is None else _as_values(override)
            if vtype == 'interval' and any(v == 'auto' or v.startswith('$__auto_interval') for v in chosen):
                why = 'an interval variable set to auto'
            if why is not None:
                self.unresolved[name] = why
                continue
            option_values = [p[1] for p in pairs]
            if vtype == 'datasource':
                current, is_all = (select_values(var_def, [], override) if override is not None
                                   else (option_values, False))
            else:
                current, is_all = select_values(var_def, option_values, override)
            self.variables[name] = pq.Variable(
                name, current=current, options=option_values, multi=var_def.get('multi'),
                include_all=var_def.get('includeAll'), all_value=var_def.get('allValue'), is_all=is_all)
        return self.variables

    # -- panels ------------------------------------------------------------

    def panel_instances(self):
        """Every panel to check, with repeats expanded and library panels
        resolved: a list of dicts (panel, row, scoped, skip reason)."""
        elements = self.dashboard.get('__elements') or {}
        out = []
        for panel, row in walk_panels(self.dashboard):
            panel, reason = resolve_library_panel(panel, elements, self.library_fetch)
            row_scopes = self._repeat_scopes(row, {}) if row is not None and row.get('repeat') else [{}]
            for row_scope in row_scopes:
                for scope in self._repeat_scopes(panel, row_scope):
                    out.append({'panel': panel, 'row': row, 'scoped': scope, 'skip': reason})
        return out

    def _repeat_scopes(self, item, base):
        var_name = item.get('repeat')
        variable = self.variables.get(var_name) if var_name else None
        if variable is None:
            return [base]
        values = variable.values()
        if not values:
            return [base]
        return [dict(base, **{var_name: v}) for v in values]

    def _jobs_for(self, instance, index):
        panel, scoped = instance['panel'], instance['scoped']
        panel_ds = panel.get('datasource')
        min_text = pq.interpolate(panel.get('interval') or '', self.variables, scoped)
        try:
            panel_min = pq.parse_duration(min_text) or self.scrape_s
        except ValueError:
            panel_min = self.scrape_s
        points = panel.get('maxDataPoints') or self.max_data_points
        interval = pq.calculate_interval(self.range_s, points, panel_min)
        jobs = []
        for target in panel.get('targets') or []:
            if not isinstance(target, dict) or target.get('hide'):
                continue
            expr = target.get('expr')
            if not isinstance(expr, str) or not expr.strip():
                continue
            ds = target.get('datasource') if target.get('datasource') and not _is_mixed(target.get('datasource')) \
                else panel_ds
            if _is_mixed(ds) or not is_prometheus_datasource(ds, self.var_defs):
                continue
            t_interval = pq.interpolate(target.get('interval') or '', self.variables, scoped)
            try:
                t_min = pq.parse_duration(t_interval)
            except ValueError:
                t_min = None
            step = pq.adjust_interval(interval, t_min or interval, self.range_s, target.get('intervalFactor') or 1)
            query = pq.interpolate(expr, self.variables, scoped, pq.macros(self.range_s, step, t_min or self.scrape_s))
            instant = bool(target.get('instant')) and not target.get('range')
            jobs.append({'panel_index': index, 'ref_id': target.get('refId') or '', 'expr': expr,
                         'query': query, 'instant': instant, 'step': step,
                         'unsupported': pq.unsupported(expr, self.unresolved)})
        return jobs

    def _title(self, instance):
        return pq.interpolate(instance['panel'].get('title') or '', self.variables, instance['scoped'],
                              default_format='raw')

    def _run_job(self, job, title, panel_id):
        origin = "panel '%s' (id %s), query %s" % (title, panel_id, job['ref_id'] or '?')
        if job['unsupported']:
            return {'status': 'error', 'series': 0,
                    'error': '%s uses what this check does not expand: %s' % (origin, ', '.join(job['unsupported']))}
        try:
            if job['instant']:
                data = self.client.query(job['query'], self.end, origin=origin)
            else:
                step = job['step']
                start = (self.start // step) * step
                end = (self.end // step) * step
                data = self.client.query_range(job['query'], start, end, step, origin=origin)
        except PromQLError as exc:
            return {'status': 'error', 'series': 0, 'error': exc.message}
        return {'status': 'data' if result_has_data(data) else 'no_data', 'series': series_count(data),
                'error': None}

    def check(self, require_all_targets=False):
        """Resolve variables and run every query; returns the panel reports."""
        self.end = self.now if self.now is not None else time.time()
        self.start = self.end - self.range_s
        self.resolve_variables()
        instances = self.panel_instances()
        reports = []
        jobs = []
        for index, instance in enumerate(instances):
            panel = instance['panel']
            title = self._title(instance)
            report = {
                'id': panel.get('id'), 'title': title, 'raw_title': panel.get('title') or '',
                'type': panel.get('type') or '',
                'row': pq.interpolate((instance['row'] or {}).get('title'), self.variables, instance['scoped'],
                                      default_format='raw'),
                'repeat': dict(instance['scoped']), 'targets': [],
            }
            reports.append(report)
            if instance['skip']:
                report['status'] = 'skipped'
                report['reason'] = instance['skip']
                continue
            panel_jobs = self._jobs_for(instance, index)
            if not panel_jobs:
                report['status'] = 'skipped'
                report['reason'] = 'no Prometheus queries'
                continue
            jobs.extend(panel_jobs)

        results = self._run_all(jobs, reports)
        for job, result in zip(jobs, results):
            target = {'ref_id': job['ref_id'], 'expr': job['expr'], 'query': job['query'],
                      'instant': job['instant'], 'step': job['step']}
            target.update(result)
            reports[job['panel_index']]['targets'].append(target)
        for report in reports:
            if report.get('status') == 'skipped':
                continue
            statuses = [t['status'] for t in report['targets']]
            if 'error' in statuses:
                report['status'] = 'error'
            elif (all if require_all_targets else any)(s == 'data' for s in statuses):
                report['status'] = 'data'
            else:
                report['status'] = 'no_data'
        return reports, len(jobs)

    def _run_all(self, jobs, reports):
        def run(job):
            report = reports[job['panel_index']]
            return self._run_job(job, report['title'], report['id'])

        if self.concurrency == 1 or len(jobs) <= 1:
            return [run(job) for job in jobs]
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = [pool.submit(run, job) for job in jobs]
            try:
                return [f.result() for f in futures]
            except Exception:
                for f in futures:
                    f.cancel()
                raise


def dashboard_range(dashboard, default_s=3600.0):
    """The dashboard's own time range when it is relative to now ("now-6h")."""
    time_ = dashboard.get('time') or {}
    start = str(time_.get('from') or '')
    end = str(time_.get('to') or 'now')
    if start.startswith('now-') and end == 'now':
        text = start[4:].split('/', maxsplit=1)[0]
        try:
            return pq.parse_duration(text) or default_s
        except ValueError:
            return default_s
    return default_s
