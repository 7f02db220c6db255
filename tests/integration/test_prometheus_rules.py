"""The shipped alert rules, checked and unit-tested with the real promtool.

The rules are a Jinja template (the role's thresholds are variables), so they
are rendered here the way the role renders them: `[[ ]]` markers, filled from
the role's defaults. promtool then runs from the rig's Prometheus image, the
same program the role validates with. A missing image is a failure: run
`make images` (or rig/images.sh prometheus) first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml

TOP = Path(__file__).resolve().parents[2]
ROLE = TOP / "roles" / "prometheus"
RULE_TEMPLATES = sorted((ROLE / "templates" / "rules").glob("*.yml.j2"))
UNIT_TESTS = sorted((TOP / "tests" / "rules" / "prometheus").glob("*.test.yml"))


@pytest.fixture(scope="module")
def image(rig_images) -> str:
    return rig_images["RIG_IMAGE_PROMETHEUS"]


def _defaults() -> dict:
    return yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())


def render_rules(dest: Path, overrides: dict | None = None) -> list[Path]:
    """Render every rule template into dest/rules/, as the role's template task does."""
    env = jinja2.Environment(
        variable_start_string="[[",
        variable_end_string="]]",
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    values = {**_defaults(), **(overrides or {})}
    out_dir = dest / "rules"
    out_dir.mkdir(parents=True, exist_ok=True)
    rendered = []
    for template in RULE_TEMPLATES:
        target = out_dir / template.name.removesuffix(".j2")
        target.write_text(env.from_string(template.read_text()).render(values))
        rendered.append(target)
    return rendered


def promtool(image: str, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run promtool in the image with workdir mounted read-only as its working directory."""
    return subprocess.run(
        [
            "docker", "run", "--rm", "--network", "none",
            "--user", f"{os.getuid()}:{os.getgid()}",
            "-v", f"{workdir}:/rules-test:ro", "-w", "/rules-test",
            "--entrypoint", "/bin/promtool", image, *args,
        ],
        capture_output=True, text=True, check=False, timeout=120,
    )


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    # The container user must be able to enter it.
    tmp_path.chmod(0o755)
    return tmp_path


def test_there_are_rules_and_tests_to_run():
    assert RULE_TEMPLATES, "no rule templates found under roles/prometheus/templates/rules"
    assert UNIT_TESTS, "no promtool unit tests found under tests/rules/prometheus"


def test_shipped_rules_pass_promtool_check(image, workdir):
    rules = render_rules(workdir)
    result = promtool(image, workdir, "check", "rules", *[f"rules/{r.name}" for r in rules])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 13 rules found" in result.stdout + result.stderr


def test_shipped_rules_pass_their_unit_tests(image, workdir):
    render_rules(workdir)
    for test in UNIT_TESTS:
        shutil.copy(test, workdir / test.name)
    result = promtool(image, workdir, "test", "rules", *[t.name for t in UNIT_TESTS])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout + result.stderr


def test_thresholds_are_variables(image, workdir):
    """A lower disk threshold silences the disk alert the unit test expects: the suite must then fail."""
    render_rules(workdir, {"prometheus_alert_disk_free_percent": 4})
    rendered = (workdir / "rules" / "coinpilot-alerts.yml").read_text()
    assert "< 4\n" in rendered
    for test in UNIT_TESTS:
        shutil.copy(test, workdir / test.name)
    result = promtool(image, workdir, "test", "rules", *[t.name for t in UNIT_TESTS])
    assert result.returncode != 0
    assert "HostDiskSpaceLow" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "broken, message",
    [
        ("groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: up ==\n", "parse error"),
        ("groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: up\n        for: soon\n", "not a valid duration"),
    ],
)
def test_promtool_rejects_broken_rules(image, workdir, broken, message):
    """The same harness must see a failure, or the passing checks above prove nothing."""
    (workdir / "broken.yml").write_text(broken)
    result = promtool(image, workdir, "check", "rules", "broken.yml")
    assert result.returncode != 0
    assert message in (result.stdout + result.stderr)
