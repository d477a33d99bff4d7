"""A separate virtualenv for client tools the project itself does not depend on.

``<repo>/.venv-clients`` (gitignored) holds OWSLib with its OpenSearch client (newer than the
OWSLib pycsw pins in the project's own environment) and rnc2rng (RELAX NG compact syntax, to
use the OGC OpenSearch schemas with lxml). It is created on first use and reused afterwards;
the tests skip with a clear reason only when pip cannot reach the package registry.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES, ROOT

VENV = ROOT / ".venv-clients"
PACKAGES = ("owslib==0.35.0", "rnc2rng==2.7.0")
PYTHON = VENV / "bin" / "python"
_NETWORK_SIGNS = ("Could not find a version", "No matching distribution", "Temporary failure",
                  "Connection", "Network is unreachable", "Name or service not known",
                  "Max retries exceeded")


def _ready() -> bool:
    if not PYTHON.exists():
        return False
    probe = subprocess.run([str(PYTHON), "-c", "import owslib.opensearch, rnc2rng"],
                           capture_output=True, timeout=60)
    return probe.returncode == 0


def client_python() -> Path:
    """The interpreter of the client virtualenv, created (once, under a lock) if needed."""
    lock_path = Path(tempfile.gettempdir()) / "ogc-server-venv-clients.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _ready():
            return PYTHON
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True,
                       capture_output=True, timeout=300)
        install = subprocess.run(
            [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             *PACKAGES], capture_output=True, text=True, timeout=600,
            env={**os.environ, "PIP_NO_INPUT": "1"},
        )
        if install.returncode != 0:
            output = install.stdout + install.stderr
            if any(sign in output for sign in _NETWORK_SIGNS) and not REQUIRE_SERVICES:
                pytest.skip(f"pip cannot install {', '.join(PACKAGES)}: {output[-300:]}")
            raise AssertionError(f"pip install {' '.join(PACKAGES)} failed:\n{output}")
        return PYTHON


def relax_ng(python: Path, rnc: Path) -> bytes:
    """The RELAX NG (XML syntax) of a compact-syntax schema, converted with rnc2rng."""
    script = ("import sys, rnc2rng; "
              "sys.stdout.write(rnc2rng.dumps(rnc2rng.load(sys.argv[1])))")
    result = subprocess.run([str(python), "-c", script, str(rnc)], capture_output=True,
                            text=True, timeout=120, cwd=rnc.parent, check=True)
    # rnc2rng declares the empty "local" namespace, which XML does not allow; nothing uses it
    return result.stdout.replace('xmlns:local=""', "").encode()
