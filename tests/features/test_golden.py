"""Golden files of the WFS over the demo archive (``tests/functional/wfs``; SQLite and PostGIS
alike): ``requests.txt`` has one ``name,query`` per line for ``/wfs``. Volatile values
(time stamps, ingestion, modification and metadata dates, the server address) are normalised;
documents are compared canonically. ``OGC_SERVER_REGENERATE=1`` rewrites the expected files."""

from __future__ import annotations

import json
import os
import re

import pytest
from flask.testing import FlaskClient
from lxml import etree

from ogc_server.settings import Settings
from tests.conftest import ROOT
from tests.functional.test_opensearch import SERVER, canonical_xml

HERE = ROOT / "tests" / "functional" / "wfs"
EXPECTED = HERE / "expected"
REGENERATE = os.environ.get("OGC_SERVER_REGENERATE") == "1"
_VOLATILE_ELEMENTS = re.compile(
    rb"<(codede:ingestionDate|codede:modificationDate|inspire_common:DateOfLastRevision"
    rb"|inspire_common:MetadataDate)>[^<]*</\1>")
_VOLATILE_JSON = {"timeStamp", "ingestionDate", "modificationDate"}


def _requests() -> list[tuple[str, str]]:
    lines = (HERE / "requests.txt").read_text().splitlines()
    return [tuple(line.split(",", 1)) for line in lines if line.strip()]  # type: ignore[misc]


def _normalise_xml(body: bytes, public_url: str) -> str:
    body = body.replace(public_url.encode(), SERVER.encode())
    body = re.sub(rb'timeStamp="[^"]*"', b'timeStamp="VOLATILE"', body)
    body = _VOLATILE_ELEMENTS.sub(rb"<\1>VOLATILE</\1>", body)
    doc = etree.fromstring(body, etree.XMLParser(remove_blank_text=True,
                                                 resolve_entities=False, no_network=True))
    etree.indent(doc, space="  ")
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8").decode() + "\n"


def _normalise_json(body: bytes, public_url: str) -> object:
    def walk(value: object) -> object:
        if isinstance(value, dict):
            return {k: "VOLATILE" if k in _VOLATILE_JSON else walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(json.loads(body.decode().replace(public_url, SERVER)))


@pytest.mark.parametrize(("name", "query"), _requests(), ids=[n for n, _ in _requests()])
def test_golden(client: FlaskClient, demo_settings: Settings, name: str, query: str) -> None:
    response = client.get(f"/wfs?{query}")
    assert response.status_code < 500, response.data[:1000]
    is_json = "json" in response.mimetype
    expected_file = EXPECTED / f"{name}.{'json' if is_json else 'xml'}"
    actual_file = expected_file.with_name(expected_file.name + ".actual")
    if is_json:
        actual = _normalise_json(response.data, demo_settings.public_url)
        text = json.dumps(actual, indent=2, ensure_ascii=False) + "\n"
    else:
        text = _normalise_xml(response.data, demo_settings.public_url)
    if REGENERATE:
        expected_file.write_text(text, encoding="utf-8")
        actual_file.unlink(missing_ok=True)
        return
    assert expected_file.exists(), f"no {expected_file.name}: run with OGC_SERVER_REGENERATE=1"
    expected = expected_file.read_text(encoding="utf-8")
    same = (json.loads(expected) == actual if is_json
            else canonical_xml(expected.encode()) == canonical_xml(text.encode()))
    if not same:
        actual_file.write_text(text, encoding="utf-8")
        pytest.fail(f"{name}: the response differs from {expected_file.name}; see "
                    f"{actual_file.name} next to it (OGC_SERVER_REGENERATE=1 accepts it)")
    actual_file.unlink(missing_ok=True)
