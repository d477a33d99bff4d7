"""Real clients against the whole platform on 127.0.0.1: OWSLib and GDAL/OGR (WFS, OAPIF)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from owslib.wfs import WebFeatureService
from shapely.geometry import box

from ogc_server.archive.query import ProductQuery
from ogc_server.services import Services

pytestmark = pytest.mark.system

OGRINFO = shutil.which("ogrinfo")
needs_ogr = pytest.mark.skipif(OGRINFO is None, reason="GDAL's ogrinfo is not installed")


def _ogrinfo(*args: str, **config: str) -> str:
    assert OGRINFO is not None
    done = subprocess.run([OGRINFO, "-ro", *args], capture_output=True, text=True,
                          timeout=120, env={"GDAL_HTTP_TIMEOUT": "60", "CPL_DEBUG": "OFF",
                                            "NO_PROXY": "*", "PATH": "/usr/bin:/bin",
                                            **config},
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _total(services: Services, **query) -> int:
    total = services.store.query(ProductQuery(limit=0, **query)).total
    assert total is not None
    return total


def test_owslib_reads_contents_and_features_in_a_box(server_url: str,
                                                     demo_services: Services) -> None:
    wfs = WebFeatureService(f"{server_url}/wfs", version="2.0.0", timeout=60)
    names = set(wfs.contents)
    assert {"codede:" + c.short_name for c in demo_services.settings.collection_list} == names
    layer = wfs.contents["codede:S2_MSI_L1C"]
    assert layer.title and layer.boundingBoxWGS84
    assert {o.name for o in wfs.operations} >= {"GetCapabilities", "GetFeature"}
    response = wfs.getfeature(typename=["codede:S2_MSI_L1C"], bbox=(-180, -60, 20, 80),
                              maxfeatures=100, outputFormat="application/json")
    doc = json.loads(response.read())
    expected = _total(demo_services, collections=["EOP:CODE-DE:S2_MSI_L1C"],
                      geometry=box(-180, -60, 20, 80))
    assert doc["numberMatched"] == len(doc["features"]) == expected > 0
    stored = [q.id for q in wfs.storedqueries]
    assert "urn:ogc:def:query:OGC-WFS::GetFeatureById" in stored


@needs_ogr
def test_ogr_lists_the_layers_and_reads_features(server_url: str,
                                                 demo_services: Services) -> None:
    listing = _ogrinfo(f"WFS:{server_url}/wfs?SERVICE=WFS&VERSION=2.0.0")
    for collection in demo_services.settings.collection_list:
        assert f"codede:{collection.short_name}" in listing
    expected = _total(demo_services, collections=["EOP:CODE-DE:S2_MSI_L1C"])
    summary = _ogrinfo("-so", f"WFS:{server_url}/wfs?SERVICE=WFS&VERSION=2.0.0",
                       "codede:S2_MSI_L1C")
    assert f"Feature Count: {expected}" in summary
    features = _ogrinfo("-q", f"WFS:{server_url}/wfs?SERVICE=WFS&VERSION=2.0.0",
                        "codede:S2_MSI_L1C", "-where", "cloudCover < 50")
    clouds = [float(line.split("=")[1]) for line in features.splitlines()
              if line.strip().startswith("cloudCover (Real)")]
    assert clouds and all(c < 50 for c in clouds)
    assert "POLYGON" in features
    boxed = _ogrinfo("-q", "-spat", "-180", "-60", "20", "80",
                     f"WFS:{server_url}/wfs?SERVICE=WFS&VERSION=2.0.0", "codede:S2_MSI_L1C")
    assert boxed.count("OGRFeature(") == _total(
        demo_services, collections=["EOP:CODE-DE:S2_MSI_L1C"], geometry=box(-180, -60, 20, 80))
    paged = _ogrinfo("-q", f"WFS:{server_url}/wfs?SERVICE=WFS&VERSION=2.0.0",
                     "codede:S2_MSI_L1C", OGR_WFS_PAGING_ALLOWED="ON", OGR_WFS_PAGE_SIZE="3")
    names = [line.split("=", 1)[1].strip() for line in paged.splitlines()
             if line.strip().startswith("identifier (String)")]
    assert len(names) == len(set(names)) == expected


@needs_ogr
def test_ogr_reads_the_footprints_through_ogc_api_features(server_url: str,
                                                           demo_services: Services) -> None:
    listing = _ogrinfo(f"OAPIF:{server_url}/ogcapi")
    assert "S2_MSI_L1C-footprints" in listing
    expected = _total(demo_services, collections=["EOP:CODE-DE:S2_MSI_L1C"])
    features = _ogrinfo("-q", f"OAPIF:{server_url}/ogcapi", "S2_MSI_L1C-footprints")
    assert features.count("OGRFeature(S2_MSI_L1C-footprints)") == expected
    assert "POLYGON" in features and "cloudCover" in features
    boxed = _ogrinfo("-q", "-spat", "-180", "-60", "20", "80", f"OAPIF:{server_url}/ogcapi",
                     "S2_MSI_L1C-footprints")
    assert boxed.count("OGRFeature(") == _total(
        demo_services, collections=["EOP:CODE-DE:S2_MSI_L1C"], geometry=box(-180, -60, 20, 80))
