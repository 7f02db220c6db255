"""Every public role variable is checked by argument_specs and documented in the role README."""
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
PUBLIC_ROLES = sorted(p for p in ROLES.iterdir() if p.is_dir() and not p.name.startswith("_"))


def _spec_options(role):
    spec = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())
    return {name for entry in spec["argument_specs"].values() for name in entry.get("options", {})}


def _defaults(role):
    path = role / "defaults" / "main.yml"
    return set(yaml.safe_load(path.read_text()) or {}) if path.exists() else set()


@pytest.mark.parametrize("role", PUBLIC_ROLES, ids=lambda p: p.name)
def test_every_default_is_in_argument_specs(role):
    missing = sorted(_defaults(role) - _spec_options(role))
    assert not missing, f"{role.name}: defaults without argument_specs entries: {missing}"


@pytest.mark.parametrize("role", PUBLIC_ROLES, ids=lambda p: p.name)
def test_every_option_is_in_the_readme(role):
    readme = (role / "README.md").read_text()
    missing = sorted(opt for opt in _spec_options(role) if f"`{opt}`" not in readme)
    assert not missing, f"{role.name}/README.md does not document: {missing}"


@pytest.mark.parametrize("role", PUBLIC_ROLES, ids=lambda p: p.name)
def test_options_carry_the_role_prefix(role):
    prefix = role.name + "_"
    stray = sorted(opt for opt in _spec_options(role) if not opt.startswith((prefix, "monitoring_")))
    assert not stray, f"{role.name}: options without the '{prefix}' prefix: {stray}"
