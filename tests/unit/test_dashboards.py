"""Quality gate for every dashboard the roles provision (roles/*/files/dashboards/*.json).

Each dashboard must parse, keep panel ids unique (rows' nested panels too),
lay panels out on Grafana's 24-column grid, and use only the provisioned
Prometheus datasource uid, never an import placeholder, a pre-0.16
node-exporter metric name or an aufs-only filesystem filter. Whether the
queries return data is checked against the real Prometheus in the molecule
scenario (grafana_dashboard_data).
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted(ROOT.glob("roles/*/files/dashboards/*.json"))
DATASOURCE_UID = "prometheus"  # docs/conventions.md: the provisioned datasource

# node-exporter renamed these in 0.16 (units in the name); the old names
# return nothing from node-exporter 1.x, so a panel using them stays empty.
LEGACY_METRICS = [
    "node_cpu",
    "node_memory_MemTotal",
    "node_memory_MemFree",
    "node_memory_MemAvailable",
    "node_memory_Buffers",
    "node_memory_Cached",
    "node_filesystem_size",
    "node_filesystem_free",
    "node_filesystem_avail",
    "node_network_receive_bytes",
    "node_network_transmit_bytes",
    "node_disk_bytes_read",
    "node_disk_bytes_written",
    "node_boot_time",
    "node_time",
]
LEGACY_RE = re.compile(r"(?<![A-Za-z0-9_:])(%s)(?![A-Za-z0-9_:])" % "|".join(map(re.escape, LEGACY_METRICS)))
AUFS_RE = re.compile(r"""fstype\s*(=|=~|!=|!~)\s*["'`][^"'`]*aufs""")


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _all_panels(dashboard):
    """Every panel, rows included, with the panels nested in (collapsed) rows."""
    out = []
    for panel in dashboard.get("panels") or []:
        out.append(panel)
        out.extend(panel.get("panels") or [])
    for row in dashboard.get("rows") or []:  # the pre-5.0 schema
        out.extend(row.get("panels") or [])
    return out


def _query_panels(path):
    return [p for p in _all_panels(_load(path)) if p.get("type") != "row"]


def _panel_cases():
    cases = []
    for path in DASHBOARDS:
        try:
            panels = _query_panels(path)
        except ValueError:
            continue  # test_parses reports it
        for panel in panels:
            cases.append(pytest.param(path, panel, id="%s:%s:%s" % (path.stem, panel.get("id"), panel.get("title"))))
    return cases


def _values(node, keys, accept=lambda value: True):
    """Every accepted value stored under one of keys anywhere below node; the others are searched too."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in keys and accept(value):
                yield value
            else:
                yield from _values(value, keys, accept)
    elif isinstance(node, list):
        for item in node:
            yield from _values(item, keys, accept)


def _datasource_refs(node):
    """Every "datasource" value anywhere below node (panels, targets, variables, annotations)."""
    return _values(node, ("datasource",))


def _exprs(node):
    return _values(node, ("expr", "query", "definition"), lambda value: isinstance(value, str))


def test_there_are_dashboards():
    assert DASHBOARDS, "no dashboard JSON under roles/*/files/dashboards"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_parses_with_uid_and_title(path):
    dashboard = _load(path)
    assert isinstance(dashboard, dict), "a dashboard file holds one JSON object"
    assert dashboard.get("uid"), "no uid: Grafana would invent one and links would break"
    assert len(dashboard["uid"]) <= 40, "Grafana caps uids at 40 characters"
    assert dashboard.get("title")


def test_uids_are_unique_across_dashboards():
    uids = [_load(p).get("uid") for p in DASHBOARDS]
    assert len(uids) == len(set(uids)), uids


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_panel_ids_are_unique(path):
    ids = [p.get("id") for p in _all_panels(_load(path))]
    assert all(isinstance(i, int) for i in ids), "every panel needs an integer id: %s" % ids
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, "duplicate panel ids %s" % dupes


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_no_import_placeholders(path):
    text = path.read_text(encoding="utf-8")
    assert "${DS_" not in text, "an export's ${DS_...} placeholder: provisioning never fills it in"
    assert "__inputs" not in _load(path), "an export's __inputs block: provisioning ignores it"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_only_the_provisioned_datasource(path):
    refs = list(_datasource_refs(_load(path)))
    assert refs, "no datasource reference at all: panels would follow whatever the default is"
    for ref in refs:
        assert isinstance(ref, dict), "datasource given by name (%r), not by {type, uid}" % (ref,)
        if ref.get("type") == "grafana" or ref.get("uid") == "-- Grafana --":
            continue  # Grafana's built-in annotations source
        assert ref.get("uid") == DATASOURCE_UID, "datasource %r is not the provisioned uid %r" % (ref, DATASOURCE_UID)
        assert ref.get("type") == "prometheus", ref


@pytest.mark.parametrize("path,panel", _panel_cases())
def test_grid_position(path, panel):
    grid = panel.get("gridPos")
    assert isinstance(grid, dict), "no gridPos"
    for key in ("x", "y", "w", "h"):
        assert isinstance(grid.get(key), int) and not isinstance(grid.get(key), bool), "gridPos.%s must be an integer: %r" % (key, grid)
    assert grid["w"] > 0 and grid["h"] > 0, grid
    assert grid["x"] >= 0 and grid["y"] >= 0, grid
    assert grid["x"] + grid["w"] <= 24, "past the 24-column grid: %r" % grid


@pytest.mark.parametrize("path,panel", _panel_cases())
def test_panel_queries(path, panel):
    targets = [t for t in panel.get("targets") or [] if not t.get("hide")]
    assert targets, "a panel without a query can never show data"
    for target in targets:
        expr = target.get("expr") or ""
        assert expr.strip(), "target %s has no expr" % target.get("refId")
        assert target.get("refId"), "target without refId"
        assert panel.get("datasource") or target.get("datasource"), "no datasource on the panel or its target"
    refs = [t.get("refId") for t in targets]
    assert len(refs) == len(set(refs)), "duplicate refIds %s" % refs


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_no_legacy_metric_names(path):
    found = sorted({m.group(1) for e in _exprs(_load(path)) for m in LEGACY_RE.finditer(e)})
    assert not found, "node-exporter < 0.16 metric names: %s" % found


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_no_aufs_filters(path):
    found = [e for e in _exprs(_load(path)) if AUFS_RE.search(e)]
    assert not found, "fstype filters on aufs (a storage driver no current Docker uses): %s" % found


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_template_variables_use_the_datasource(path):
    for var in (_load(path).get("templating") or {}).get("list") or []:
        if var.get("type") == "query":
            assert var.get("datasource", {}).get("uid") == DATASOURCE_UID, var.get("name")


# The gate itself must be able to fail: each rule is run on a broken copy.
@pytest.mark.parametrize("expr,bad", [
    ('rate(node_cpu{mode="idle"}[5m])', True),
    ("node_memory_MemFree", True),
    ("node_memory_MemFree_bytes", False),
    ('rate(node_cpu_seconds_total{mode="idle"}[5m])', False),
    ("node_filesystem_free", True),
    ("node_filesystem_free_bytes", False),
])
def test_legacy_pattern(expr, bad):
    assert bool(LEGACY_RE.search(expr)) is bad


@pytest.mark.parametrize("expr,bad", [
    ('node_filesystem_size_bytes{fstype="aufs"}', True),
    ('node_filesystem_size_bytes{fstype=~"ext4|aufs"}', True),
    ('node_filesystem_size_bytes{fstype!="tmpfs"}', False),
])
def test_aufs_pattern(expr, bad):
    assert bool(AUFS_RE.search(expr)) is bad


def test_nested_row_panels_are_seen():
    dashboard = {"panels": [{"id": 1, "type": "row", "panels": [{"id": 2}, {"id": 1}]}]}
    ids = [p["id"] for p in _all_panels(dashboard)]
    assert ids == [1, 2, 1]
