"""EDI orders through the file connection's per-dealer drop folders: the answer written to ``out/``, the file
moved to ``done/`` or ``error/`` with the reason, another dealer's message refused, the schedule planned."""

import shutil
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from erpsync.adapters.file.edi_inbox import edi_inbox_scan
from erpsync.models import ErpConnection
from erpsync.schedules import planned_schedules
from erpsync.tasks import run_edi_inbox
from orders.models import EdiMessage, Order
from orders.tests.edi_factories import SAMPLES, edi_shop

pytestmark = pytest.mark.django_db


def _drop(root, dealer, name, data=None):
    inbox = root / "edi" / dealer.code / "in"
    inbox.mkdir(parents=True, exist_ok=True)
    if data is None:
        shutil.copy(SAMPLES / name, inbox / name)
    else:
        (inbox / name).write_bytes(data)
    return inbox


def test_a_dropped_order_is_placed_answered_and_moved_to_done(tmp_path):
    dealer, _admin, _products = edi_shop()
    inbox = _drop(tmp_path, dealer, "orders_d96a.edi")
    (inbox / "half.edi.part").write_text("UNB+")
    results = edi_inbox_scan(tmp_path)
    assert [(r.file, r.outcome) for r in results] == [("orders_d96a.edi", "accepted")]
    assert (inbox / "done" / "orders_d96a.edi").exists() and (inbox / "half.edi.part").exists()
    answer = (tmp_path / "edi" / dealer.code / "out" / "orders_d96a.response.edi").read_text()
    assert "ORDRSP:D:96A:UN" in answer
    message = EdiMessage.objects.get()
    assert message.channel == EdiMessage.Channel.FOLDER and message.order.dealer == dealer


def test_malformed_and_foreign_files_go_to_error_with_the_reason(tmp_path):
    dealer, _admin, _products = edi_shop()
    other, _other_admin, _p = edi_shop(gln="8680000000020", tax_number="9876543210", skus_prefix="X")
    bad = (SAMPLES / "peppol_order.xml").read_bytes().replace(b'"C62">3<', b'"C62">-3<')
    inbox = _drop(tmp_path, dealer, "a_bad.xml", bad)
    _drop(tmp_path, other, "b_foreign.xml", (SAMPLES / "peppol_order.xml").read_bytes())
    outcomes = {r.file: r.outcome for r in edi_inbox_scan(tmp_path)}
    assert outcomes == {"a_bad.xml": "malformed", "b_foreign.xml": "party_mismatch"}
    reason = (inbox / "error" / "a_bad.xml.error.txt").read_text()
    assert reason.startswith("/Order/cac:OrderLine[1]/cac:LineItem/cbc:Quantity")
    foreign = tmp_path / "edi" / other.code / "in" / "error" / "b_foreign.xml.error.txt"
    assert "8680000000013" in foreign.read_text()
    assert Order.objects.count() == 0


def test_a_multi_message_interchange_writes_its_ordrsps_and_the_contrl_asked_for(tmp_path):
    dealer, _admin, _products = edi_shop()
    inbox = _drop(tmp_path, dealer, "orders_d96a_three_messages.edi")
    assert [r.outcome for r in edi_inbox_scan(tmp_path)] == ["changed"]
    out = tmp_path / "edi" / dealer.code / "out"
    assert (out / "orders_d96a_three_messages.response.edi").read_text().count("ORDRSP:D:96A:UN") == 3
    assert (
        "UCI+ACME000500+8680000000013:14+8690000000012:14+7'"
        in (out / "orders_d96a_three_messages.contrl.edi").read_text()
    )
    assert (inbox / "done" / "orders_d96a_three_messages.edi").exists() and Order.objects.count() == 2


def test_an_interchange_refused_for_syntax_gets_its_contrl_in_out_and_moves_to_error(tmp_path):
    dealer, _admin, _products = edi_shop()
    bad = (SAMPLES / "orders_d96a.edi").read_bytes().replace(b"UNZ+1+", b"UNZ+2+")
    inbox = _drop(tmp_path, dealer, "bad.edi", bad)
    assert [r.outcome for r in edi_inbox_scan(tmp_path)] == ["malformed"]
    out = tmp_path / "edi" / dealer.code / "out"
    assert "+4+29+UNZ+1'" in (out / "bad.contrl.edi").read_text()
    assert not (out / "bad.response.edi").exists() and (inbox / "error" / "bad.edi").exists()
    # Without an acknowledgement request an accepted interchange gets no CONTRL.
    _drop(tmp_path, dealer, "good.edi", (SAMPLES / "orders_d96a.edi").read_bytes())
    assert [r.outcome for r in edi_inbox_scan(tmp_path)] == ["accepted"]
    assert not (out / "good.contrl.edi").exists() and (out / "good.response.edi").exists()


def test_the_file_connection_plans_and_runs_the_edi_schedule(tmp_path):
    dealer, _admin, _products = edi_shop()
    connection = ErpConnection.objects.create(
        code="files", name="Files", adapter="file", settings={"root": str(tmp_path)}
    )
    names = {plan.name: plan for plan in planned_schedules()}
    assert names["erpsync:files:edi"].func == "erpsync.tasks.run_edi_inbox"
    _drop(tmp_path, dealer, "peppol_order.xml")
    assert run_edi_inbox(connection.pk) == 1
    assert Order.objects.filter(dealer=dealer).count() == 1
    connection.is_active = False
    connection.save()
    _drop(tmp_path, dealer, "orders_d96a.edi")
    assert run_edi_inbox(connection.pk) == 0


def test_a_file_whose_interchange_another_worker_is_placing_stays_for_the_next_run(tmp_path):
    dealer, _admin, _products = edi_shop()
    _drop(tmp_path, dealer, "orders_d96a.edi")
    assert [r.outcome for r in edi_inbox_scan(tmp_path)] == ["accepted"]
    inbox = _drop(tmp_path, dealer, "copy.edi", (SAMPLES / "orders_d96a.edi").read_bytes())
    EdiMessage.objects.update(status=EdiMessage.Status.RECEIVED, claimed_until=timezone.now() + timedelta(minutes=5))
    with override_settings(B2B_EDI_WAIT_SECONDS=0):
        assert [r.outcome for r in edi_inbox_scan(tmp_path)] == ["in_progress"]
    assert (inbox / "copy.edi").exists() and not (inbox / "error").exists()
    EdiMessage.objects.update(status=EdiMessage.Status.ACCEPTED, claimed_until=None)
    assert [r.outcome for r in edi_inbox_scan(tmp_path)] == ["accepted"]
    assert (inbox / "done" / "copy.edi").exists() and Order.objects.count() == 1
