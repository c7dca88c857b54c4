"""The ``sms-gateway-emulator`` console script."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest
import requests

from airflow_provider_sms.emulator import PRIMOTEXTO_API_KEY, SMSPARTNER_API_KEY
from airflow_provider_sms.emulator.__main__ import parse_args


def test_defaults():
    args = parse_args([])
    assert (args.host, args.port, args.delivery_delay, args.latency_ms) == ("127.0.0.1", 8025, 2.0, 0.0)
    assert (args.credits, args.subaccounts, args.allow_remote) == (10000.0, 47, False)
    assert (args.clock_offset, args.tag_page_size) == (0.0, 500)


def test_options():
    args = parse_args(
        [
            "--host",
            "localhost",
            "--port",
            "0",
            "--delivery-delay",
            "0.5",
            "--latency-ms",
            "20",
            "--credits",
            "3",
        ]
    )
    assert (args.host, args.port, args.delivery_delay, args.latency_ms, args.credits) == (
        "localhost",
        0,
        0.5,
        20,
        3,
    )
    assert parse_args(["--host", "::1"]).host == "::1"
    args = parse_args(["--clock-offset", "-30.5", "--tag-page-size", "20"])
    assert (args.clock_offset, args.tag_page_size) == (-30.5, 20)


@pytest.mark.parametrize(
    "argv",
    [
        ["--host", "0.0.0.0"],
        ["--host", "192.168.1.10"],
        ["--host", "example.com"],
        ["--delivery-delay", "-1"],
        ["--port", "70000"],
        ["--port", "abc"],
        ["--tag-page-size", "0"],
        ["--clock-offset", "nan"],
    ],
)
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        parse_args(argv)
    assert exc.value.code == 2
    if "--host" in argv:
        assert "--allow-remote" in capsys.readouterr().err


def test_allow_remote():
    assert parse_args(["--host", "0.0.0.0", "--allow-remote"]).allow_remote is True


def test_runs_until_interrupted():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_sms.emulator", "--port", "0", "--delivery-delay", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert match, first
        url = match.group(0)
        banner = "".join(process.stdout.readline() for _ in range(5))
        assert PRIMOTEXTO_API_KEY in banner
        assert SMSPARTNER_API_KEY in banner
        assert requests.get(url + "/_emulator/health", timeout=5).json()["config"]["delivery_delay"] == 0.1
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
