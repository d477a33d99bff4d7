"""Golden files of the OpenSearch interface over the demo archive (SQLite and PostGIS alike).

``opensearch/requests.txt`` has one ``name,path?query`` per line (the path under
``/opensearch/``); ``opensearch/expected/<name>.xml|json`` holds the expected response. The
volatile values (``updated``/``published`` timestamps, the archiving date, the server address)
are normalised and documents compared canonically. On a mismatch the actual response is written
next to the expected file as ``<name>.<ext>.actual``. ``OGC_SERVER_REGENERATE=1`` rewrites the
expected files (see ``README.md``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from lxml import etree

from ogc_server.services import build_services
from ogc_server.settings import Settings
from ogc_server.web import create_app

HERE = Path(__file__).resolve().parent / "opensearch"
EXPECTED = HERE / "expected"
#: Read when the module is imported: the test fixtures clear OGC_SERVER_* variables.
REGENERATE = os.environ.get("OGC_SERVER_REGENERATE") == "1"
SERVER = "http://server"
VOLATILE = "VOLATILE"
_VOLATILE_XML = {
    "{http://www.w3.org/2005/Atom}updated",
    "{http://www.w3.org/2005/Atom}published",
    "{http://www.opengis.net/eop/2.0}archivingDate",
}
_VOLATILE_JSON = {"updated", "published", "availabilityTime"}
_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)


def _requests() -> list[tuple[str, str]]:
    lines = (HERE / "requests.txt").read_text().splitlines()
    return [tuple(line.split(",", 1)) for line in lines if line.strip()]  # type: ignore[misc]


@pytest.fixture(scope="module")
def opensearch_client(demo_settings: Settings) -> FlaskClient:
    return create_app(build_services(demo_settings, migrate=False)).test_client()


def normalise_xml(body: bytes, public_url: str) -> bytes:
    doc = etree.fromstring(body.replace(public_url.encode(), SERVER.encode()), _PARSER)
    for node in doc.iter():
        if node.tag in _VOLATILE_XML:
            node.text = VOLATILE
    etree.indent(doc, space="  ")
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8") + b"\n"


def normalise_json(body: bytes, public_url: str) -> Any:
    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: VOLATILE if k in _VOLATILE_JSON else walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(json.loads(body.decode().replace(public_url, SERVER)))


def canonical_xml(text: bytes) -> str:
    return etree.canonicalize(text.decode(), strip_text=True)


@pytest.mark.parametrize(("name", "path"), _requests(), ids=[n for n, _ in _requests()])
def test_golden(opensearch_client: FlaskClient, demo_settings: Settings, name: str,
                path: str) -> None:
    response = opensearch_client.get(f"/opensearch/{path}")
    assert response.status_code < 500, response.data[:1000]
    is_json = response.mimetype.endswith("json")
    expected_file = EXPECTED / f"{name}.{'json' if is_json else 'xml'}"
    actual_file = expected_file.with_name(expected_file.name + ".actual")
    if is_json:
        actual = normalise_json(response.data, demo_settings.public_url)
        text = json.dumps(actual, indent=2, ensure_ascii=False) + "\n"
    else:
        text = normalise_xml(response.data, demo_settings.public_url).decode()
    if REGENERATE:
        expected_file.write_text(text, encoding="utf-8")
        actual_file.unlink(missing_ok=True)
        return
    assert expected_file.exists(), f"no {expected_file.name}: run with OGC_SERVER_REGENERATE=1"
    expected = expected_file.read_text(encoding="utf-8")
    if is_json:
        same = json.loads(expected) == actual
    else:
        same = canonical_xml(expected.encode()) == canonical_xml(text.encode())
    if not same:
        actual_file.write_text(text, encoding="utf-8")
        pytest.fail(f"{name}: the response differs from {expected_file.name}; see "
                    f"{actual_file.name} next to it (OGC_SERVER_REGENERATE=1 accepts it)")
    actual_file.unlink(missing_ok=True)
