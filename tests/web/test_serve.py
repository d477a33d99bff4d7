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


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(v) for v in fh.read().split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie that its parent has not reaped yet counts as ended
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads /proc")
def test_serve_with_processes_shares_the_port_restarts_and_stops(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ogc_server.cli", "--config", str(config), "serve",
         "--port", str(port), "--threads", "2", "--processes", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ},
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as r:
                    assert json.loads(r.read())["status"] == "ok"
                return
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    output = proc.stdout.read().decode() if proc.stdout else ""
                    raise AssertionError(output) from None
                time.sleep(0.2)

    try:
        healthy()
        children = _children(proc.pid)
        assert len(children) == 2
        # many requests at once, all answered by the processes on the one port
        for _ in range(20):
            healthy()
        # a server process that dies is replaced
        os.kill(children[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = _children(proc.pid)
            if len(now) == 2 and children[0] not in now:
                break
            time.sleep(0.2)
        now = _children(proc.pid)
        assert len(now) == 2 and children[0] not in now
        healthy()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert proc.returncode == 0
    assert not any(_alive(pid) for pid in now)
