"""Emulator inbound SMS: POST /_emulator/inbound, Primotexto's replies route, STOPs on the STOP lists."""

from __future__ import annotations

import requests

from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY
from airflow_provider_sms.hooks import get_sms_hook


def test_inject_over_http_and_read_back(emulator):
    r = requests.post(
        f"{emulator.url}/_emulator/inbound",
        json={"vendor": "primotexto", "number": "0639980031", "text": "Oui", "category": "rdv"},
        timeout=5,
    )
    assert r.status_code == 201
    assert r.json()["number"] == "+33639980031"
    assert (
        requests.post(f"{emulator.url}/_emulator/inbound", json={"vendor": "x"}, timeout=5).status_code == 400
    )
    headers = {"X-Primotexto-ApiKey": PRIMOTEXTO_API_KEY}
    got = requests.get(
        f"{emulator.url}/v2/messages/replies", params={"category": "rdv"}, headers=headers, timeout=5
    )
    assert [(x["identifier"], x["message"]) for x in got.json()] == [("+33639980031", "Oui")]
    other = requests.get(
        f"{emulator.url}/v2/messages/replies", params={"category": "x"}, headers=headers, timeout=5
    )
    assert other.json() == []


def test_stop_lands_on_the_stop_list(emulator, vendor, conn_id):
    emulator.inject_reply(vendor, "+33639980032", "stop svp")
    assert [e.recipient for e in get_sms_hook(conn_id).get_blacklist()] == ["+33639980032"]
    emulator.inject_stop(vendor, "+33639980032")  # already listed: no second entry
    assert len(get_sms_hook(conn_id).get_blacklist()) == 1
