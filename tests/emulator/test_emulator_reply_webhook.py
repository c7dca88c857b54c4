"""The emulator's SMS Partner side of replies and cancels: injected replies posted to a send's
``urlResponse`` (a real loopback HTTP receiver), and ``/v1/message-cancel``'s codes."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from airflow_provider_sms.emulator import SMSPARTNER_API_KEY
from airflow_provider_sms.emulator.reply_webhook import post_reply

NUMBER = "+33639980041"


@pytest.fixture
def receiver():
    """A loopback HTTP server recording every JSON post (answers 200)."""
    posts = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", posts
    server.shutdown()


def send(emulator, number, **extra):
    body = {"apiKey": SMSPARTNER_API_KEY, "phoneNumbers": number, "message": "Repondez OUI", **extra}
    return requests.post(f"{emulator.url}/v1/send", json=body, timeout=5).json()


def test_replies_and_stops_are_posted_to_url_response(emulator, receiver):
    url, posts = receiver
    sent = send(emulator, NUMBER, urlResponse=url)
    answer = requests.post(
        f"{emulator.url}/_emulator/inbound",
        json={"vendor": "smspartner", "number": NUMBER, "text": "Oui", "posts": 2},
        timeout=10,
    )
    assert answer.status_code == 201
    assert answer.json()["webhook"] == [200, 200]
    stop = emulator.inject_stop("smspartner", NUMBER)
    assert stop["webhook"] == [200]
    expected = {"type": "response", "phone_number": NUMBER, "text": "Oui", "message_id": sent["message_id"]}
    assert posts == [expected, expected, {**expected, "type": "stop", "text": "STOP"}]


def test_no_post_without_url_response_or_to_another_number(emulator, receiver):
    url, posts = receiver
    send(emulator, NUMBER, urlResponse=url)
    send(emulator, NUMBER)  # the latest message to the number asked for nothing
    assert emulator.inject_reply("smspartner", NUMBER, "Oui")["webhook"] is None
    assert emulator.inject_reply("smspartner", "+33639980042", "Oui")["webhook"] is None
    assert emulator.inject_reply("primotexto", NUMBER, "Oui")["webhook"] is None
    assert posts == []


@pytest.mark.parametrize(
    ("url", "posts"),
    [
        ("http://192.0.2.1/hook", 1),
        ("ftp://127.0.0.1/hook", 1),
        ("http://127.0.0.1:9/hook", 0),
        ("http://127.0.0.1:9/hook", 6),
    ],
)
def test_posts_are_bounded(url, posts):
    with pytest.raises(ValueError):
        post_reply(url, {}, posts)


def test_an_unreachable_receiver_is_named_not_raised(emulator):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens
    send(emulator, NUMBER, urlResponse=f"http://127.0.0.1:{port}/hook")
    assert emulator.inject_reply("smspartner", NUMBER, "Oui")["webhook"] == ["URLError"]


def cancel(emulator, **params):
    return requests.get(
        f"{emulator.url}/v1/message-cancel", params={"apiKey": SMSPARTNER_API_KEY, **params}, timeout=5
    ).json()


def test_message_cancel_codes(emulator):
    assert cancel(emulator)["code"] == 3
    assert cancel(emulator, messageId="")["code"] == 3
    assert cancel(emulator, messageId="12")["code"] == 4
    assert cancel(emulator, messageId="abc")["code"] == 4
    now = send(emulator, NUMBER)
    assert cancel(emulator, messageId=now["message_id"])["code"] == 7
    assert (
        requests.get(f"{emulator.url}/v1/message-cancel", params={"messageId": "1"}, timeout=5).json()["code"]
        == 1
    )
