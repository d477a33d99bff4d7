"""Golden files of the WCS (``tests/functional/wcs``), SQLite and PostGIS alike.

Same shape and rules as the OpenSearch suite (``tests/functional/README.md``): one
``name,query`` per line of ``requests.txt`` (the query of ``/wcs?``), the expected XML in
``expected/<name>.xml``, compared in canonical form; ``OGC_SERVER_REGENERATE=1`` rewrites them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from ogc_server.settings import Settings
from tests.functional.test_opensearch import canonical_xml, normalise_xml

HERE = Path(__file__).resolve().parent.parent / "functional" / "wcs"
EXPECTED = HERE / "expected"
REGENERATE = os.environ.get("OGC_SERVER_REGENERATE") == "1"


def _requests() -> list[tuple[str, str]]:
    lines = (HERE / "requests.txt").read_text().splitlines()
    return [tuple(line.split(",", 1)) for line in lines if line.strip()]  # type: ignore[misc]


@pytest.mark.parametrize(("name", "query"), _requests(), ids=[n for n, _ in _requests()])
def test_golden(client: FlaskClient, demo_settings: Settings, name: str, query: str) -> None:
    response = client.get(f"/wcs?{query}")
    assert response.status_code < 500, response.data[:1000]
    actual = normalise_xml(response.data, demo_settings.public_url)
    expected = EXPECTED / f"{name}.xml"
    if REGENERATE:
        expected.write_bytes(actual)
        return
    if not expected.exists() or canonical_xml(expected.read_bytes()) != canonical_xml(actual):
        expected.with_name(expected.name + ".actual").write_bytes(actual)
        pytest.fail(f"{name}: differs from {expected.name} (see {expected.name}.actual)")
