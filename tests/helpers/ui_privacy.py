"""The SMS views' privacy check on the ``ui_send`` DAG's pages, shared by the api-app tests
(``tests/plugins/test_ui.py``) and the real-stack ones (``tests/system/test_ui.py``)."""

from __future__ import annotations

from tests.dags.ui_send import ui_rows


def assert_private(html: str) -> None:
    """No full number, key, code or text of any ``ui_send`` row in ``html``."""
    for row in ui_rows():
        for secret in (row["recipient"], row["key"], row["code"], f"Your code is {row['code']}"):
            assert secret not in html, secret
