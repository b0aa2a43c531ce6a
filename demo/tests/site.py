"""The demo company served the way the README's ``make run`` serves it: a database migrated and loaded with
``manage.py demo`` (through the file connection), the sync schedules installed, then ``bin/portal-run`` starting
the web server and the task worker together. The journey tests drive it in Chromium and read what it logged."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
MANAGE = [sys.executable, str(ROOT / "manage.py")]

# Lines in the server's or the worker's output that mean a user lost something or saw an error page.
LOG_FAILURES = re.compile(r"Traceback \(most recent call last\)|database is locked|\" 500 \d+|Internal Server Error")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_database(url: str) -> None:
    """Drop and create the database named in ``url`` on its server."""
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def postgres_database_drop(url: str) -> None:
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class DemoSite:
    """A running demo: its address, where it writes e-mails, and its console output."""

    url: str
    database_url: str
    workdir: Path
    env: dict[str, str]
    process: subprocess.Popen | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.workdir / "portal-run.log"

    @property
    def mail_dir(self) -> Path:
        return self.workdir / "mail"

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [*MANAGE, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=600, check=False
        )
        if done.returncode:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout + done.stderr

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(ROOT / "bin" / "portal-run")],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"bin/portal-run stopped:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=2) as answer:  # noqa: S310 (http on loopback)
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"the demo did not answer within 60 s:\n{self.log()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_failures(self) -> list[str]:
        return [line for line in self.log().splitlines() if LOG_FAILURES.search(line)]

    def mails(self, to: str | None = None) -> list[EmailMessage]:
        """Every e-mail the site has sent (the file backend writes one file per connection, messages joined)."""
        found = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for chunk in path.read_bytes().split(b"-" * 79 + b"\n"):
                if chunk.strip():
                    message = message_from_bytes(chunk.strip() + b"\n", policy=policy.default)
                    if to is None or to in message.get("To", ""):
                        found.append(message)
        return found

    def wait_for_mail(self, to: str, subject_part: str, timeout: float = 30) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.mails(to):
                if subject_part.lower() in message["Subject"].lower():
                    return message
            time.sleep(0.5)
        subjects = [(m["To"], m["Subject"]) for m in self.mails()]
        raise AssertionError(f"no e-mail to {to} about {subject_part!r} within {timeout} s; sent: {subjects}")


def makefile_demo_env() -> dict[str, str]:
    """The demo company's settings as the Makefile's ``make run`` passes them (``DEMO_COMPANY_ENV``)."""
    text = (ROOT / "Makefile").read_text()
    found = re.search(r"^DEMO_COMPANY_ENV := (.*)$", text, re.M)
    return dict(part.split("=", 1) for part in shlex.split(found.group(1))) if found else {}


def demo_site_start(engine: str, workdir: Path, database_name: str) -> DemoSite:
    """Set up and start the demo on ``engine`` ("sqlite" or "postgresql") exactly as ``make run`` does."""
    if engine == "sqlite":
        database_url = f"sqlite:///{workdir / 'db.sqlite3'}"
    else:
        server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/b2bportal").rsplit("/", 1)[0]
        database_url = f"{server}/{database_name}"
        postgres_database(database_url)
    port = free_port()
    env = {
        **os.environ,
        **makefile_demo_env(),
        "DJANGO_SETTINGS_MODULE": "b2bportal.settings.base",
        "DEBUG": "1",
        "DATABASE_URL": database_url,
        "PYTHON": sys.executable,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "B2B_DEMO_ERP_DROP": str(workdir / "erp-drop"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(workdir / "mail"),
        "MEDIA_ROOT": str(workdir / "media"),
        "RECONCILIATION_EXPORT_DIR": str(workdir / "exports"),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "REDIS_URL": "",
        "AXES_ENABLED": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    site = DemoSite(url=f"http://127.0.0.1:{port}", database_url=database_url, workdir=workdir, env=env)
    setup = site.manage("migrate", "--noinput", "-v0")
    setup += site.manage("demo")
    setup += site.manage("erpsync", "schedules", "--install")
    site.log_path.write_text(setup)
    site.start()
    return site
