"""The Makefile's two commands: ``make run`` installs the runtime requirements only (no test tools, no Tryton server,
no browser driver), ``make test`` the development ones; ``make clean`` leaves nothing ``make run`` made."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def dry_run(target: str, tmp_path: Path) -> str:
    """What ``make <target>`` would run, for a venv that does not exist yet."""
    result = subprocess.run(
        ["make", "-n", target, f"VENV={tmp_path / '.venv'}"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_installs_the_runtime_requirements_only(tmp_path):
    commands = dry_run("run", tmp_path)
    assert "install --quiet -r requirements.txt" in commands
    assert "requirements-dev.txt" not in commands
    assert "bin/portal-run" in commands


@pytest.mark.parametrize("target", ["test", "lint"])
def test_make_test_installs_the_development_requirements(tmp_path, target):
    assert "install --quiet -r requirements-dev.txt" in dry_run(target, tmp_path)


def test_runtime_requirements_hold_no_test_tools():
    runtime = (ROOT / "requirements.txt").read_text().lower()
    for tool in ("pytest", "playwright", "trytond", "proteus", "factory-boy", "hypothesis", "ruff"):
        assert tool not in runtime
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text()


def test_make_clean_removes_the_demo_database_and_var(tmp_path):
    commands = dry_run("clean", tmp_path)
    removed = commands.split()
    assert "rm" in removed
    for path in ("db.sqlite3", "db.sqlite3-wal", "var", "staticfiles", "test-artifacts", str(tmp_path / ".venv")):
        assert path in removed
