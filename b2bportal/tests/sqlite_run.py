"""Running code against a real SQLite database (the try-out database of ``make run``) from a PostgreSQL suite.

The project is migrated into a temporary SQLite file by ``manage.py migrate`` in a child process with
``DATABASE_URL=sqlite:///…``, and a script runs there through ``manage.py shell``: the same settings, the same
models and the same queries as the demo, on the engine the demo uses. The script prints one JSON line last, which
is returned.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from django.conf import settings

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def _run(database: Path, *args: str, stdin: str = "") -> str:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "b2bportal.settings.test",
    }
    result = subprocess.run(
        [sys.executable, str(MANAGE), *args],
        input=stdin,
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed on SQLite:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def sqlite_database(directory: Path) -> Path:
    """A migrated SQLite database file in ``directory``."""
    database = directory / "portal.sqlite3"
    _run(database, "migrate", "--verbosity", "0")
    return database


def sqlite_script(database: Path, code: str):
    """Run ``code`` (Python, dedented) in ``manage.py shell`` on ``database``; the JSON it prints last, decoded."""
    output = _run(database, "shell", "--no-imports", "--interface", "python", stdin=textwrap.dedent(code))
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines, "the script printed nothing"
    return json.loads(lines[-1])
