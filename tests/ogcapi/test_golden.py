"""Golden files of the records API over the demo archive (tests/functional/README.md).

``tests/functional/ogcapi_records/requests.txt``: one ``name,METHOD,path?query[,body-file]``
per line, the path under the composed server's ``/ogcapi`` written readably (the test
percent-encodes what a URL cannot hold); a POST names its body in ``bodies/``. The expected
answer is ``expected/<name>.json`` = ``{"status": ..., "body": ...}``, the server address
replaced by ``http://server`` and volatile values by ``VOLATILE``: when the catalogue record
changed (``updated``), the response time stamp, and the sizes and checksums of the generated
demo products (they depend on the GDAL build). SQLite and PostGIS must give the same answer.
A mismatch writes ``<name>.json.actual``; ``OGC_SERVER_REGENERATE=1`` rewrites the expected
files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

from ogc_server.services import build_services
from ogc_server.settings import Settings
from plugins.pygeoapi_.app import build_wsgi_app

SUITE = Path(__file__).resolve().parent.parent / "functional" / "ogcapi_records"
EXPECTED = SUITE / "expected"
#: Read on import: the suite's autouse fixture clears OGC_SERVER_* variables for each test.
REGENERATE = os.environ.get("OGC_SERVER_REGENERATE") == "1"
SERVER = "http://server"
VOLATILE = "VOLATILE"
_VOLATILE = {"updated", "timeStamp", "checksum", "size", "length"}


def _requests() -> list[tuple[str, str, str, str | None]]:
    rows = []
    for line in (SUITE / "requests.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, method, target = line.split(",", 2)
            body = None
            if method == "POST":
                target, body = target.rsplit(",", 1)
            rows.append((name, method, target, body))
    return rows


REQUESTS = _requests()


@pytest.fixture(scope="module")
def server(demo_settings: Settings) -> Any:
    """The records application mounted at /ogcapi, as the composed server has it."""
    services = build_services(demo_settings, migrate=False)
    yield Client(DispatcherMiddleware(NotFound(), {"/ogcapi": build_wsgi_app(services)}))
    services.engine.dispose()


def normalise(value: Any, public_url: str) -> Any:
    if isinstance(value, dict):
        return {k: VOLATILE if k in _VOLATILE and not isinstance(v, dict)
                else normalise(v, public_url) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, public_url) for v in value]
    if isinstance(value, str):
        return value.replace(public_url, SERVER)
    return value


@pytest.mark.parametrize(("name", "method", "target", "body"), REQUESTS,
                         ids=[r[0] for r in REQUESTS])
def test_golden(server: Client, demo_settings: Settings, name: str, method: str, target: str,
                body: str | None) -> None:
    url = quote(target, safe="/?&=,:%+")
    if method == "POST":
        data = (SUITE / "bodies" / str(body)).read_bytes()
        response = server.post(url, data=data, content_type="application/json")
    else:
        response = server.open(url, method=method)
    assert response.status_code < 500, response.get_data(as_text=True)[:1000]
    answer = {"status": response.status_code,
              "body": normalise(response.get_json(force=True), demo_settings.public_url)}
    text = json.dumps(answer, indent=2, ensure_ascii=False) + "\n"
    expected = EXPECTED / f"{name}.json"
    actual = expected.with_name(expected.name + ".actual")
    if REGENERATE:
        EXPECTED.mkdir(parents=True, exist_ok=True)
        expected.write_text(text, encoding="utf-8")
        actual.unlink(missing_ok=True)
        return
    if expected.is_file() and json.loads(expected.read_text(encoding="utf-8")) == answer:
        actual.unlink(missing_ok=True)
        return
    actual.write_text(text, encoding="utf-8")
    backend = demo_settings.database_url.split(":", 1)[0]
    assert expected.is_file(), f"no {expected.name}: run with OGC_SERVER_REGENERATE=1"
    pytest.fail(f"{name} ({backend}): the answer differs from {expected.name}; see "
                f"{actual.name} next to it (OGC_SERVER_REGENERATE=1 accepts it)")
