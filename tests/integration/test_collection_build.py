"""The built collection tarball installs, and its modules run by their full name."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(cmd, env=None, cwd=None):
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Build the tarball and install it into an empty collections path."""
    work = tmp_path_factory.mktemp("build")
    build = _run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(work), str(REPO)])
    assert build.returncode == 0, build.stderr
    tarballs = list(work.glob("coinpilot-monitoring-*.tar.gz"))
    assert len(tarballs) == 1, build.stdout

    dest = work / "collections"
    install = _run([str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "--force",
                    "-p", str(dest), str(tarballs[0])])
    assert install.returncode == 0, install.stderr

    env = dict(os.environ)
    # Only the installed copy (and the venv's own collections) may be found,
    # never the checkout: an empty config replaces the checkout's ansible.cfg.
    empty_cfg = work / "ansible.cfg"
    empty_cfg.write_text("")
    env.update(ANSIBLE_COLLECTIONS_PATH=str(dest), ANSIBLE_CONFIG=str(empty_cfg))
    return {"tarball": tarballs[0], "root": dest / "ansible_collections" / "coinpilot" / "monitoring",
            "env": env, "cwd": work}


def test_tarball_leaves_out_tests_and_rig(installed):
    root = installed["root"]
    assert (root / "plugins" / "modules").is_dir()
    assert (root / "roles").is_dir()
    for left_out in ("tests", "molecule", "rig", ".ci"):
        assert not (root / left_out).exists(), f"{left_out} was packed into the tarball"


def test_installed_docs_render(installed):
    out = _run([str(BIN / "ansible-doc"), "--json", "coinpilot.monitoring.prometheus_query"],
               env=installed["env"], cwd=installed["cwd"])
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)["coinpilot.monitoring.prometheus_query"]["doc"]
    assert doc["collection"] == "coinpilot.monitoring"
    assert out.stdout.count(str(REPO)) == 0, "ansible-doc resolved the checkout, not the installed copy"


def test_installed_module_runs_by_full_name(installed):
    """A closed port: the module runs, and fails with one line naming the URL."""
    url = "http://127.0.0.1:9"
    out = _run([str(BIN / "ansible"), "localhost", "-c", "local", "-i", "localhost,",
                "-e", f"ansible_python_interpreter={sys.executable}",
                "-m", "coinpilot.monitoring.prometheus_query",
                "-a", f"url={url} query=up timeout=3 wait_timeout=0", "-o"],
               env=installed["env"], cwd=installed["cwd"])
    assert out.returncode != 0
    assert "FAILED" in out.stdout, out.stdout
    assert url in out.stdout, out.stdout
    assert "Traceback" not in out.stdout + out.stderr
