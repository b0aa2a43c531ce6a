"""The demo company served the way the README's ``make run`` serves it: a database migrated and loaded with
``manage.py demo`` (through the file connection), the sync schedules installed, then ``bin/portal-run`` starting
the web server and the task worker together. The journey tests drive it in Chromium and read what it logged.

The production profile (``bin/portal-profile``: gunicorn, several task-worker clusters, Redis, production settings)
starts on the same prepared database: ``demo_site_prepare`` then ``DemoSite.start`` with that command and
environment (``profile_env``)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
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


def scratch_database_name(purpose: str) -> str:
    """A database name of this test run's own: the test database's name (``DATABASE_URL``), the purpose and the
    xdist worker, so that runs on other databases of the same server never drop it under each other."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/b2bportal").rsplit("/", 1)[1]
    return f"{base}_{purpose}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


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
    # Headers every request to the running site carries (behind a TLS proxy: X-Forwarded-Proto).
    headers: dict[str, str] = field(default_factory=dict)

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

    def start(self, command: str = "portal-run", env: dict[str, str] | None = None, timeout: float = 60) -> None:
        """Run ``bin/<command>`` in a session of its own (``stop`` ends every process in it) with ``env`` (the
        set-up environment by default) and wait until the sign-in page answers."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(ROOT / "bin" / command)],
            cwd=ROOT,
            env=env or self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"bin/{command} stopped:\n{self.log()}")
            request = urllib.request.Request(f"{self.url}/accounts/login/", headers=self.headers)  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=2) as answer:  # noqa: S310 (http on loopback)
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"bin/{command} did not answer within {timeout:.0f} s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGINT, *, group: bool = True) -> None:
        """Ask the started command to stop (``sig`` to its whole process group, as Ctrl-C does, or with ``group``
        off to the command alone, as a service manager does); what is still running in its session after 20 s is
        killed."""
        if self.process is None:
            return
        if self.process.poll() is None:
            (os.killpg if group else os.kill)(self.process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        session_kill(self.process.pid)
        if self.process.poll() is None:
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


def session_pids(session: int) -> list[int]:
    """Every live process in the session ``session`` (from /proc), children of children included."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == session and fields[0] != "Z":  # fields: state, ppid, pgrp, session
            found.append(int(entry.name))
    return found


def session_kill(session: int) -> None:
    """SIGKILL whatever is left in the session, even processes that moved to a process group of their own."""
    for pid in session_pids(session):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def makefile_demo_env() -> dict[str, str]:
    """The demo company's settings as the Makefile's ``make run`` passes them (``DEMO_COMPANY_ENV``)."""
    text = (ROOT / "Makefile").read_text()
    found = re.search(r"^DEMO_COMPANY_ENV := (.*)$", text, re.M)
    return dict(part.split("=", 1) for part in shlex.split(found.group(1))) if found else {}


def demo_site_start(engine: str, workdir: Path, database_name: str) -> DemoSite:
    """Set up and start the demo on ``engine`` ("sqlite" or "postgresql") exactly as ``make run`` does."""
    site = demo_site_prepare(engine, workdir, database_name)
    site.start()
    return site


def demo_site_prepare(engine: str, workdir: Path, database_name: str) -> DemoSite:
    """Set up the demo on ``engine`` ("sqlite" or "postgresql") as ``make run`` does, without starting it."""
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
    return site


# The production profile behind its TLS proxy: the proxy tells the portal the request came over HTTPS.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def profile_env(
    site: DemoSite, *, redis_url: str, web_workers: int = 2, clusters: int = 2, q_workers: int = 2
) -> dict[str, str]:
    """The environment ``bin/portal-profile`` runs the prepared demo with: production settings (a demonstration
    site, so the sandbox card provider stays; e-mails written to files, which production allows), Redis as broker
    and cache, static files collected into the site's folder."""
    env = {
        **site.env,
        "DJANGO_SETTINGS_MODULE": "b2bportal.settings.production",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEMO_SITE": "1",
        "PAYMENT_DEFAULT_GATEWAY": "sandbox",
        "REDIS_URL": redis_url,
        "STATIC_ROOT": str(site.workdir / "static"),
        "WEB_WORKERS": str(web_workers),
        "CLUSTERS": str(clusters),
        "Q_WORKERS": str(q_workers),
        "DATABASE_CONN_MAX_AGE": "60",
        "GUNICORN": str(Path(sys.executable).parent / "gunicorn"),
    }
    env.pop("AXES_ENABLED", None)  # production's sign-in lock-out stays on
    site.headers = dict(PROXY_HEADERS)
    return env


def redis_flush(url: str) -> None:
    """Empty the one Redis database ``url`` names (never the others on the server)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


DEALER_BUYERS_CODE = """
from django.contrib.auth.hashers import make_password
from accounts.models import User
from dealers.models import Dealer, DealerUser
password = make_password({password!r})
dealers = list(Dealer.objects.filter(status=Dealer.Status.ACTIVE, credit_hold=False).order_by("code"))
for n in range({count}):
    user, _ = User.objects.get_or_create(
        email=f"load{{n:03d}}@load.b2bportal.local",
        defaults={{"full_name": f"Load Buyer {{n}}", "password": password, "language": "en"}},
    )
    dealer = dealers[n % len(dealers)]
    DealerUser.objects.get_or_create(user=user, defaults={{"dealer": dealer, "role": DealerUser.Role.BUYER}})
print(len(dealers))
"""


def dealer_buyers_code(count: int, password: str) -> str:
    """``manage.py shell`` code making ``count`` buyers without an approval limit, one for each active demo dealer
    not on credit hold in turn (a second one on a dealer when there are more buyers than dealers); it prints how many
    dealers it used."""
    return DEALER_BUYERS_CODE.format(count=count, password=password)


def dealer_buyer_emails(count: int) -> list[str]:
    return [f"load{n:03d}@load.b2bportal.local" for n in range(count)]


def dealer_buyers_create(site: DemoSite, count: int, password: str) -> list[str]:
    """Make the buyers of ``dealer_buyers_code``; their e-mails."""
    output = site.manage("shell", "--no-imports", "-c", dealer_buyers_code(count, password))
    if not int(re.findall(r"^(\d+)$", output, re.M)[-1]):
        raise AssertionError("the demo has no active dealer")
    return dealer_buyer_emails(count)
