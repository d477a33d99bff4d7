"""Golden files: each request of ``tests/functional/csw`` against the demo catalogue, on SQLite
and on PostGIS, compared with the expected response (same file for both backends) and checked
against the OGC/ISO schemas.

Layout (pycsw's): ``get/requests.txt`` holds ``name,querystring`` lines, ``post/*.xml`` the XML
bodies; ``expected/get_<name>.xml`` and ``expected/post_<name>.xml`` the responses, normalised
(server address, request times, ingestion times). A mismatch writes ``<expected>.actual``
beside the file; ``OGC_SERVER_REGENERATE=1`` rewrites the expected files (from SQLite; PostGIS
is still compared).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from werkzeug.test import Client

from ogc_server.archive.store import QueryResult
from ogc_server.settings import Settings
from tests.csw.helpers import assert_valid, normalise

SUITE = Path(__file__).resolve().parent.parent / "functional" / "csw"
REGENERATE = os.environ.get("OGC_SERVER_REGENERATE") == "1"


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for line in (SUITE / "get" / "requests.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, query = line.partition(",")
            cases.append(("get", name.strip(), query.strip()))
    for path in sorted((SUITE / "post").glob("*.xml")):
        cases.append(("post", path.stem, path.name))
    return cases


CASES = _cases()


def _query(raw: str) -> str:
    pairs = [part.partition("=")[::2] for part in raw.split("&") if part]
    return urlencode(pairs, quote_via=quote)


def _stamps(products: QueryResult) -> set[str]:
    stamps = set()
    for product in products.products:
        for value in (product.ingestion_date, product.modification_date):
            if value is not None:
                stamps.add(value.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return stamps


@pytest.mark.parametrize(("method", "name", "request_"), CASES,
                         ids=[f"{m}_{n}" for m, n, _ in CASES])
def test_golden(method: str, name: str, request_: str, csw: Client, demo_settings: Settings,
                demo_products: QueryResult) -> None:
    if method == "get":
        response = csw.get("/", query_string=_query(request_))
    else:
        response = csw.post("/", data=(SUITE / "post" / request_).read_bytes(),
                            content_type="application/xml")
    body = response.get_data()
    assert_valid(body)
    assert int(response.headers["Content-Length"]) == len(body)
    actual = normalise(body, demo_settings.public_url, _stamps(demo_products))
    expected_path = SUITE / "expected" / f"{method}_{name}.xml"
    if REGENERATE and demo_settings.database_url.startswith("sqlite"):
        expected_path.write_text(actual, encoding="utf-8")
        return
    expected = expected_path.read_text(encoding="utf-8") if expected_path.exists() else None
    actual_path = expected_path.with_name(expected_path.name + ".actual")
    if actual != expected:
        actual_path.write_text(actual, encoding="utf-8")
        pytest.fail(f"{expected_path.name} differs (see {actual_path.name}; "
                    "OGC_SERVER_REGENERATE=1 rewrites the expected files)")
    actual_path.unlink(missing_ok=True)
