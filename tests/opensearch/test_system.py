"""The composed platform over HTTP on 127.0.0.1: curl + xmllint, and OWSLib's OpenSearch client.

OWSLib in the project's environment is pinned below 0.29 (by pycsw) and has no OpenSearch
client; OWSLib 0.35 has one (``owslib.opensearch``). It runs from the separate client
virtualenv (``tests/opensearch/clients.py``) in a subprocess against the server.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from ogc_server.archive.model import Product
from ogc_server.compose import build_application
from ogc_server.services import build_services
from ogc_server.settings import Settings
from tests.conftest import REQUIRE_SERVICES
from tests.web.server import running

pytestmark = pytest.mark.system

S2 = "EOP:CODE-DE:S2_MSI_L1C"
NO_PROXY = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}

CLIENT_SCRIPT = r'''
import json, sys
from owslib.opensearch import OpenSearch

base, collection = sys.argv[1], sys.argv[2]
top = OpenSearch(base + "/opensearch/description.xml")
found = top.search("application/atom+xml", platform="Sentinel-2")
client = OpenSearch(base + "/opensearch/description.xml?parentIdentifier=" + collection)
atom = client.description.urls["application/atom+xml"]
feed = client.search("application/atom+xml", cloudCover="[0,100]", maximumRecords="5",
                     sortKeys="startDate,,0")
geo = client.search("application/geo+json", maximumRecords="2", orbitDirection="DESCENDING")
print(json.dumps({
    "top_types": sorted(top.description.urls),
    "top_tags": top.description.tags,
    "collections": sorted(f["properties"]["title"] for f in found["features"]),
    "shortname": client.description.shortname,
    "types": sorted(client.description.urls),
    "parameters": sorted(atom["parameters"]),
    "serials": atom["parameters"]["platformSerialIdentifier"].get("options"),
    "entries": [{"id": f["id"], "title": f["properties"]["title"],
                 "data": [d["href"] for d in f["properties"]["links"]["data"]],
                 "alternates": [a["title"] for a in f["properties"]["links"]["alternates"]]}
                for f in feed["features"]],
    "geojson": {"total": geo["totalResults"],
                "ids": [f["properties"]["identifier"] for f in geo["features"]]},
}))
'''


@pytest.fixture(scope="module")
def server(demo_settings: Settings) -> Iterator[tuple[str, Settings]]:
    """The composed platform on a free port, its public address being that port."""
    holder: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    with running(app) as base:
        settings = demo_settings.model_copy(update={"public_url": base})
        holder["app"] = build_application(settings, build_services(settings, migrate=False))
        yield base, settings


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if REQUIRE_SERVICES:
            pytest.fail(f"{name} is required here (Debian package installed by ./run.sh test)")
        pytest.skip(f"{name} is not installed (./run.sh test installs it)")
    return path


@pytest.mark.parametrize("collection", [S2, "EOP:CODE-DE:S1_SAR_L1_GRD",
                                        "EOP:CODE-DE:S5P_TROPOMI_L2"])
def test_download_links_with_curl_and_xmllint(server: tuple[str, Settings], collection: str,
                                              demo_products: list[Product]) -> None:
    curl, xmllint = _tool("curl"), _tool("xmllint")
    base, _ = server
    url = (f"{base}/opensearch/request?parentIdentifier={collection}&maximumRecords=500"
           "&httpAccept=application/atom%2Bxml")
    atom = subprocess.run([curl, "--noproxy", "*", "-sSf", url], capture_output=True,
                          check=True, timeout=60).stdout
    extracted = subprocess.run(
        [xmllint, "--xpath", '//*[local-name()="link" and @title="Download"]/@href', "-"],
        input=atom, capture_output=True, check=True, timeout=60).stdout.decode()
    hrefs = re.findall(r'href="([^"]*)"', extracted)
    expected = {p.file_name for p in demo_products if p.collection == collection}
    assert len(hrefs) == len(expected) > 0
    for href in hrefs:
        parts = urlsplit(href)
        assert parts.scheme == "http" and parts.netloc == base.split("//", 1)[1], href
        assert "&" not in href, href
        assert parts.path.startswith("/download/") and parts.path.count("/") == 2, href
    assert {h.rsplit("/", 1)[1] for h in hrefs} == expected


def test_owslib_opensearch_client(server: tuple[str, Settings], clients_python: Path,
                                  demo_products: list[Product]) -> None:
    base, _ = server
    run = subprocess.run([str(clients_python), "-c", CLIENT_SCRIPT, base, S2],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, **NO_PROXY})
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["top_types"] == ["application/atom+xml", "application/geo+json",
                                   "application/opensearchdescription+xml"]
    assert "Copernicus" in result["top_tags"]
    assert len(result["collections"]) == 2 and all("Sentinel-2" in t
                                                   for t in result["collections"])
    assert result["shortname"] == "S2_MSI_L1C"
    assert "application/sru+xml" in result["types"]
    assert {"bbox", "startDate", "cloudCover", "orbitDirection", "maximumRecords"} <= set(
        result["parameters"])
    s2 = sorted((p for p in demo_products if p.collection == S2), key=lambda p: p.start,
                reverse=True)
    assert result["serials"] == sorted({p.platform_serial_identifier for p in s2})
    entries = result["entries"]
    assert [e["title"] for e in entries] == [p.identifier for p in s2[:5]]
    for entry, product in zip(entries, s2, strict=False):
        assert entry["data"] == [f"{base}/download/{product.file_name}"]
        assert "O&M metadata" in entry["alternates"]
        assert entry["id"].startswith(f"{base}/opensearch/request?")
    descending = [p for p in s2 if p.orbit_direction == "DESCENDING"]
    assert result["geojson"]["total"] == len(descending)
    assert result["geojson"]["ids"] == [p.identifier for p in descending[:2]]
