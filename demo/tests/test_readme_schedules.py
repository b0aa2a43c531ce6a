"""The README tells a newcomer when the demo's worker picks up a file dropped into ``var/erp-drop/inbound/<entity>/``;
that must be what ``manage.py erpsync schedules --install`` installs for the demo connection."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from demo.erp_import import CONNECTION_CODE, demo_connection

pytestmark = pytest.mark.django_db
README = Path(__file__).resolve().parents[2] / "README.md"


def readme_schedules() -> dict[str, int]:
    """entity → minutes, from the table between the demo-schedules markers."""
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- demo-schedules -->", 1)[1].split("<!-- /demo-schedules -->", 1)[0]
    stated = {}
    for line in table.strip().splitlines()[2:]:
        folders, when = (cell.strip() for cell in line.strip().strip("|").split("|"))
        match = re.fullmatch(r"every (?:(\d+) minutes|minute)", when)
        assert match, f"README: cannot read {when!r}"
        for entity in re.findall(r"`([a-z_]+)`", folders):
            stated[entity] = int(match.group(1) or 1)
    return stated


def test_readme_says_when_each_inbound_folder_is_picked_up(tmp_path):
    demo_connection(tmp_path / "erp-drop")
    call_command("erpsync", "schedules", "--install", stdout=StringIO())
    prefix = f"erpsync:{CONNECTION_CODE}:"
    installed = {
        schedule.name.removeprefix(prefix): schedule.minutes
        for schedule in Schedule.objects.filter(name__startswith=prefix, func="erpsync.tasks.run_import")
    }
    assert installed  # the file connection reads every entity it has a folder for
    assert readme_schedules() == installed
    outbox = Schedule.objects.get(name="erpsync:outbox")
    assert outbox.minutes == 1 and "outbound/orders/` every minute" in README.read_text(encoding="utf-8")
