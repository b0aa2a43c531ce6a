"""The Paraşüt simulator keeps to Paraşüt's description: tokens that expire and rotate, JSON:API lists, the checks
against the official Swagger description, the rate limit, webhook signatures."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

import pytest
import requests

from erpsync.simulators.parasut import ParasutSimulator
from erpsync.simulators.parasut import spec as parasut_spec

OOB = "urn:ietf:wg:oauth:2.0:oob"


@pytest.fixture
def sim():
    with ParasutSimulator(demo=True, rate_limit=0) as simulator:
        yield simulator


def grant(sim: ParasutSimulator, **fields: str) -> requests.Response:
    form = {
        "grant_type": "password",
        "client_id": sim.client_id,
        "client_secret": sim.client_secret,
        "username": sim.username,
        "password": sim.password,
        "redirect_uri": OOB,
        **fields,
    }
    return requests.post(sim.token_url, data=form, timeout=5)


def auth(sim: ParasutSimulator) -> dict[str, str]:
    return {"Authorization": "Bearer " + grant(sim).json()["access_token"]}


def test_password_grant_then_refresh_rotates_the_refresh_token(sim):
    first = grant(sim).json()
    assert (first["token_type"], first["expires_in"]) == ("bearer", 7200)

    renewed = grant(sim, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    again = grant(sim, grant_type="refresh_token", refresh_token=first["refresh_token"])

    assert renewed["refresh_token"] != first["refresh_token"]
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_wrong_password_and_expired_token_are_refused(sim):
    assert grant(sim, password="yanlış").json()["error"] == "invalid_grant"
    headers = auth(sim)
    assert requests.get(sim.base_url + "products", headers=headers, timeout=5).status_code == 200
    sim.expire_tokens()
    answer = requests.get(sim.base_url + "products", headers=headers, timeout=5)
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["detail"] == "The access token expired"


def test_lists_page_sort_and_include_as_json_api(sim):
    headers = auth(sim)
    first = requests.get(sim.base_url + "products?page[size]=10&sort=-id", headers=headers, timeout=5).json()
    assert first["meta"] == {"current_page": 1, "total_pages": 3, "total_count": 24}
    ids = [int(row["id"]) for row in first["data"]]
    assert ids == sorted(ids, reverse=True)
    invoices = requests.get(
        sim.base_url + "sales_invoices?include=payments,active_e_document", headers=headers, timeout=5
    ).json()
    types = {row["type"] for row in invoices["included"]}
    assert types == {"payments", "e_invoices"}
    assert sim.violations == []


@pytest.mark.parametrize(
    "path",
    [
        "products?page[size]=26",
        "products?filter[updated_at]=2026-01-01",
        "sales_invoices?include=details.unknown",
        "sales_offers?page[size]=5",
    ],
)
def test_a_query_the_description_does_not_allow_is_refused(sim, path):
    answer = requests.get(sim.base_url + path, headers=auth(sim), timeout=5)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["title"] == "Bad Request"
    assert sim.violations


def test_a_body_with_a_read_only_or_unknown_field_is_refused(sim):
    contact = next(iter(sim.company.tables["contacts"]))
    body = {
        "data": {
            "type": "sales_invoices",
            "attributes": {"item_type": "invoice", "issue_date": "2026-03-01", "net_total": 5},
            "relationships": {"contact": {"data": {"id": str(contact), "type": "contacts"}}},
        }
    }
    answer = requests.post(sim.base_url + "sales_invoices", json=body, headers=auth(sim), timeout=5)
    assert answer.status_code == 400
    assert "read-only" in answer.json()["errors"][0]["detail"]
    assert parasut_spec.ERRATA  # the one documented difference is listed with its reason


def test_invoice_cancel_follows_the_rules(sim):
    headers = auth(sim)
    half = next(
        r for r in sim.company.tables["sales_invoices"].values() if r.attributes["payment_status"] == "partially_paid"
    )
    answer = requests.delete(sim.base_url + f"sales_invoices/{half.id}/cancel", headers=headers, timeout=5)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["title"] == "Validation Failed"


def test_rate_limit_answers_429_with_retry_after():
    with ParasutSimulator(rate_limit=3, rate_window=1.0) as sim:
        headers = auth(sim)
        codes = [requests.get(sim.base_url + "warehouses", headers=headers, timeout=5).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        answer = requests.get(sim.base_url + "warehouses", headers=headers, timeout=5)
        assert answer.headers["Retry-After"] == "1"
        time.sleep(1.05)
        assert requests.get(sim.base_url + "warehouses", headers=headers, timeout=5).status_code == 200
        assert sim.most_in_window() == 3


def test_webhook_delivery_is_signed_over_the_event_data(sim):
    sent = []
    sim.company.add("webhooks", {"model": "product", "action": "update", "uri": "http://portal.test/hook"})
    product = next(iter(sim.company.tables["products"].values()))

    sim.deliver("product", "update", product, post=lambda uri, **kw: sent.append((uri, kw)))

    ((uri, call),) = sent
    fields = dict(parse_qsl(call["data"]))
    assert uri == "http://portal.test/hook"
    assert call["headers"]["Signature"] == sim.signature(fields["data[data]"])
    assert fields["resource"] == "product" and fields["data[id]"] == str(product.id)
