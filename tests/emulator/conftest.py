"""Fixtures for the emulator tests: one emulator per test module, reset around every test.

``emu`` deliberately shadows nothing in ``tests/conftest.py``: these tests drive the emulator's own
API and need its initial settings (``delivery_delay`` 0.2 s), not the shared session emulator.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY, SMSPARTNER_API_KEY, GatewayEmulator

TIMEOUT = 5
DELIVERY_DELAY = 0.2


class Api:
    """Tiny client for one vendor API of the emulator (real HTTP over loopback)."""

    def __init__(self, base: str, headers: dict[str, str] | None = None, api_key: str | None = None):
        self.base = base
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        self.api_key = api_key

    def _params(self, params: dict[str, Any] | None) -> dict[str, Any]:
        params = dict(params or {})
        if self.api_key is not None:
            params.setdefault("apiKey", self.api_key)
        return params

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        return self.session.get(self.base + path, params=self._params(params), timeout=TIMEOUT, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        if isinstance(body, dict) and self.api_key is not None:
            body = {"apiKey": self.api_key, **body}
        return self.session.post(self.base + path, json=body, timeout=TIMEOUT, **kwargs)

    def delete(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        return self.session.delete(self.base + path, params=params, timeout=TIMEOUT, **kwargs)


@pytest.fixture(scope="module")
def module_emulator():
    with GatewayEmulator(host="127.0.0.1", port=0, delivery_delay=DELIVERY_DELAY) as emu:
        yield emu


@pytest.fixture
def emu(module_emulator: GatewayEmulator):
    module_emulator.reset()
    yield module_emulator
    module_emulator.reset()


@pytest.fixture
def pt(emu: GatewayEmulator) -> Api:
    """Primotexto client with the emulator's key in ``X-Primotexto-ApiKey``."""
    return Api(emu.url + "/v2", headers={"X-Primotexto-ApiKey": PRIMOTEXTO_API_KEY})


@pytest.fixture
def sp(emu: GatewayEmulator) -> Api:
    """SMS Partner client that adds the emulator's ``apiKey`` to the body or query."""
    return Api(emu.url + "/v1", api_key=SMSPARTNER_API_KEY)
