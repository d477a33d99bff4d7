"""`ogc-server serve` as a real process: it starts, answers on 127.0.0.1 and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import make_config

pytestmark = pytest.mark.system


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_answers_health_and_landing(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ogc_server.cli", "--config", str(config), "serve",
         "--port", str(port), "--threads", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    health = json.loads(r.read())
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    output = proc.stdout.read().decode() if proc.stdout else ""
                    raise AssertionError(output) from None
                time.sleep(0.2)
        assert health["status"] == "ok"
        assert health["catalogue"]["products"] == 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?f=json", timeout=5) as r:
            landing = json.loads(r.read())
        assert len(landing["collections"]) == 11
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
