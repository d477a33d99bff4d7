"""Golden files of the STAC API over the demo archive: SQLite and PostGIS answer the same.

``tests/functional/stac/requests.txt`` has one ``name,METHOD,path?query[,body-file]`` per line:
the path is taken as written (characters a URL cannot hold are percent-encoded by the test, so
filters stay readable), a POST names its JSON body in ``bodies/``. The expected answer is
``expected/<name>.json``: ``{"status": ..., "body": ...}`` with the server address replaced by
``http://server`` and volatile values (the ``updated`` time of catalogue records) by
``VOLATILE``. On a mismatch the actual answer is written next to it as ``<name>.json.actual``;
``OGC_SERVER_REGENERATE=1`` rewrites the expected files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from ogc_server.settings import Settings

SUITE = Path(__file__).resolve().parent.parent / "functional" / "stac"
EXPECTED = SUITE / "expected"
#: Read at import: the test fixtures clear the OGC_SERVER_* variables.
REGENERATE = os.environ.get("OGC_SERVER_REGENERATE") == "1"
SERVER = "http://server"
VOLATILE = "VOLATILE"
_VOLATILE_KEYS = {"updated"}


def _requests() -> list[tuple[str, str, str, str | None]]:
    rows = []
    for line in (SUITE / "requests.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, method, rest = line.split(",", 2)
        body = None
        if method == "POST" and "," in rest:
            rest, body = rest.rsplit(",", 1)
        rows.append((name, method, rest, body))
    return rows


REQUESTS = _requests()


def normalise(body: Any, public_url: str) -> Any:
    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: VOLATILE if k in _VOLATILE_KEYS else walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            return value.replace(public_url, SERVER)
        return value

    return walk(body)


@pytest.mark.parametrize(("name", "method", "path", "body_file"), REQUESTS,
                         ids=[r[0] for r in REQUESTS])
def test_golden(stac_client: FlaskClient, demo_settings: Settings, name: str, method: str,
                path: str, body_file: str | None) -> None:
    url = quote(path, safe="/?&=,:%+")
    if method == "POST":
        body = json.loads((SUITE / "bodies" / str(body_file)).read_text(encoding="utf-8"))
        response = stac_client.post(url, json=body)
    else:
        response = stac_client.open(url, method=method)
    assert response.status_code < 500, response.get_data(as_text=True)[:1000]
    actual = {"status": response.status_code,
              "body": normalise(response.get_json(), demo_settings.public_url)}
    text = json.dumps(actual, indent=2, ensure_ascii=False) + "\n"
    expected_file = EXPECTED / f"{name}.json"
    actual_file = expected_file.with_name(expected_file.name + ".actual")
    if REGENERATE:
        EXPECTED.mkdir(parents=True, exist_ok=True)
        expected_file.write_text(text, encoding="utf-8")
        actual_file.unlink(missing_ok=True)
        return
    assert expected_file.exists(), f"no {expected_file.name}: run with OGC_SERVER_REGENERATE=1"
    if json.loads(expected_file.read_text(encoding="utf-8")) != actual:
        actual_file.write_text(text, encoding="utf-8")
        database = demo_settings.database_url.split(":", 1)[0]
        pytest.fail(f"{name} ({database}): the answer differs from {expected_file.name}; see "
                    f"{actual_file.name} next to it (OGC_SERVER_REGENERATE=1 accepts it)")
    actual_file.unlink(missing_ok=True)
