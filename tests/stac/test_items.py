"""Items and collections as STAC documents (no catalogue), valid against the official schemas."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ogc_server.archive.extents import CollectionExtent
from ogc_server.links import Links
from ogc_server.settings import load_settings
from ogc_server.web.stac import collections, items, properties
from tests.archive.factory import product
from tests.conftest import ROOT
from tests.stac.conftest import TEST_COLLECTIONS
from tests.stac.validation import stac_errors, validated_schemas

LINKS = Links("https://eo.example.org")
SETTINGS = load_settings(ROOT / "config" / "ogc-server.yml", environ={})


def _s1():
    return product(
        1, identifier="S1A_IW_GRDH_1SDV_X", platform="Sentinel-1", instrument="SAR-C",
        platform_serial_identifier="A", product_type="GRD", processing_level="Level-1",
        sensor_mode="IW", cloud_cover=None, tile_id=None, polarisation_channels="VV, VH",
        antenna_look_direction="RIGHT", minimum_incidence_angle=30.0,
        maximum_incidence_angle=46.0, collection="EOP:CODE-DE:S1_SAR_L1_GRD",
        extra={"nssdc_identifier": "2014-016A", "processor": "Sentinel-1 IPF 003.31",
               "processing_facility": "Copernicus S1 Core Ground Segment - DPA"},
        quicklook_path="q.jpg", thumbnail_path="t.jpg", browse_path="b.tif",
    )


def test_sentinel2_item() -> None:
    doc = items.item(product(3, snow_cover=1.5, resolution=10.0), LINKS)
    props = doc["properties"]
    assert doc["id"] == "S2A_MSIL1C_TEST_0003" and doc["collection"] == "EOP:CODE-DE:S2_MSI_L1C"
    assert props["platform"] == "sentinel-2b" and props["constellation"] == "sentinel-2"
    assert props["instruments"] == ["msi"] and props["gsd"] == 10.0
    assert props["datetime"] == props["start_datetime"] == "2024-01-04T00:00:00Z"
    assert props["end_datetime"] == "2024-01-04T00:00:05Z"
    assert props["eo:cloud_cover"] == 3.0 and props["eo:snow_cover"] == 1.5
    assert props["sat:orbit_state"] == "descending" and props["sat:relative_orbit"] == 4
    assert props["grid:code"] == "MGRS-32UDD" and props["processing:level"] == "L1C"
    assert props["product:type"] == "S2MSI1C"
    assert not any(k.startswith(("sar:", "view:")) for k in props)
    assert None not in props.values()
    download = doc["assets"]["download"]
    assert download["href"] == "https://eo.example.org/download/S2A_MSIL1C_TEST_0003.zip"
    assert download["type"] == "application/zip" and download["roles"] == ["data"]
    assert download["file:size"] == 1003
    assert download["file:checksum"] == "1220" + f"{3:064x}"
    assert set(doc["assets"]) == {"download"}  # no browse images: no browse assets
    assert doc["stac_extensions"] == sorted(items.EXT[e] for e in
                                            ("eo", "file", "grid", "processing", "product",
                                             "sat"))
    assert stac_errors(doc) == []


def test_sentinel1_item() -> None:
    doc = items.item(_s1(), LINKS)
    props = doc["properties"]
    assert props["platform"] == "sentinel-1a" and props["instruments"] == ["c-sar"]
    assert props["sar:polarizations"] == ["VV", "VH"] and props["sar:frequency_band"] == "C"
    assert props["sar:instrument_mode"] == "IW" and props["sar:observation_direction"] == "right"
    assert props["view:incidence_angle"] == 38.0
    assert props["sat:platform_international_designator"] == "2014-016A"
    assert props["processing:software"] == {"Sentinel-1 IPF": "003.31"}
    assert "eo:cloud_cover" not in props and "grid:code" not in props
    assets = doc["assets"]
    assert assets["visual"]["type"] == "image/tiff; application=geotiff; profile=cloud-optimized"
    assert assets["visual"]["roles"] == ["visual"] and assets["quicklook"]["roles"] == ["overview"]
    assert assets["thumbnail"]["href"].endswith("/browse/S1A_IW_GRDH_1SDV_X/thumbnail.jpg")
    assert {"rel": "collection", "type": "application/json",
            "href": "https://eo.example.org/stac/collections/EOP:CODE-DE:S1_SAR_L1_GRD"} in \
        doc["links"]
    assert stac_errors(doc) == []
    used = validated_schemas(doc)
    for name in ("sar", "sat", "view", "file", "processing", "product"):
        assert items.EXT[name] in used
    assert "https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json" in used


def test_sentinel5p_item_and_sparse_products() -> None:
    s5p = product(5, platform="Sentinel-5P", platform_serial_identifier="5P",
                  instrument="TROPOMI", product_type="L2__NO2___", processing_level="Level-2",
                  orbit_direction=None, relative_orbit_number=None, cloud_cover=None,
                  tile_id=None, file_name="S5P_X.nc", checksum="md5:" + "a" * 32, size=None,
                  collection="EOP:CODE-DE:S5P_TROPOMI_L2")
    doc = items.item(s5p, LINKS)
    props = doc["properties"]
    assert props["platform"] == "sentinel-5p" and props["constellation"] == "sentinel-5p"
    assert doc["assets"]["download"]["type"] == "application/x-netcdf"
    assert doc["assets"]["download"]["file:checksum"] == "d510" + "a" * 32
    assert "file:size" not in doc["assets"]["download"]
    assert "sat:orbit_state" not in props and "eo:cloud_cover" not in props
    assert stac_errors(doc) == []
    bare = items.item(product(6, checksum=None, size=None, orbit_number=None,
                              relative_orbit_number=None, orbit_direction=None,
                              cloud_cover=None, tile_id=None, creation_date=None), LINKS)
    assert items.EXT["file"] not in bare["stac_extensions"]
    assert items.EXT["sat"] not in bare["stac_extensions"]
    assert items.EXT["eo"] not in bare["stac_extensions"]
    assert stac_errors(bare) == []


@pytest.mark.parametrize("checksum,expected", [
    ("sha256:" + "ab" * 32, "1220" + "ab" * 32),
    ("SHA256:" + "AB" * 32, "1220" + "ab" * 32),
    ("sha256:abc", None), ("crc32:1234", None), ("sha256:" + "zz" * 32, None), (None, None),
    ("nocolon", None),
])
def test_multihash(checksum, expected) -> None:
    assert items.multihash(checksum) == expected


def test_platform_names() -> None:
    assert properties.stac_platform("Sentinel-2", "A") == "sentinel-2a"
    assert properties.stac_platform("Sentinel-5P", "5P") == "sentinel-5p"
    assert properties.stac_platform("Sentinel-1", "") == "sentinel-1"
    assert properties.stac_instruments("SYNERGY") == ["olci", "slstr"]
    assert properties.stac_polarizations("HH+HV") == ["HH", "HV"]
    assert properties.stac_processing_level("Level-2A") == "L2A"
    assert properties.catalogue_processing_level("l2a") == "Level-2a"
    assert properties.catalogue_processing_level("Level-1") == "Level-1"


@pytest.mark.parametrize("collection", TEST_COLLECTIONS, ids=lambda c: c.short_name)
def test_collections_are_valid_with_and_without_products(collection) -> None:
    extent = CollectionExtent(
        collection.identifier, 3, (5.0, 45.0, 16.0, 56.0),
        datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC),
        {(collection.platform, "A")}, {"DESCENDING"}, (10.0, 60.0), (0.0, 80.0))
    for ext in (extent, None):
        doc = collections.collection(collection, ext, SETTINGS, LINKS)
        assert stac_errors(doc) == [], collection.identifier
        assert doc["license"] == "other"
        assert any(link["rel"] == "license" for link in doc["links"])
    full = collections.collection(collection, extent, SETTINGS, LINKS)
    assert full["extent"]["spatial"]["bbox"] == [[5.0, 45.0, 16.0, 56.0]]
    assert full["extent"]["temporal"]["interval"] == [["2026-01-01T00:00:00Z",
                                                       "2026-02-01T00:00:00Z"]]
    assert full["summaries"]["gsd"] == {"minimum": 10.0, "maximum": 60.0}
    empty = collections.collection(collection, None, SETTINGS, LINKS)
    assert empty["extent"]["temporal"]["interval"] == [[None, None]]
    assert "platform" not in empty["summaries"]


def test_the_validator_catches_invalid_documents() -> None:
    """The offline schemas really check: broken Items fail (guards against vacuous passes)."""
    good = items.item(_s1(), LINKS)
    broken = [
        ("properties", "eo:cloud_cover", 150, items.EXT["eo"]),
        ("properties", "sar:polarizations", ["XX"], items.EXT["sar"]),
        ("properties", "sat:orbit_state", "sideways", items.EXT["sat"]),
        ("properties", "view:incidence_angle", 120, items.EXT["view"]),
        ("properties", "datetime", "yesterday", None),
    ]
    for section, key, value, schema in broken:
        doc = items.item(_s1(), LINKS)
        doc[section][key] = value
        if schema and schema not in doc["stac_extensions"]:
            doc["stac_extensions"].append(schema)
        assert stac_errors(doc), (key, value)
    no_sar_band = dict(good, properties={k: v for k, v in good["properties"].items()
                                         if k != "sar:frequency_band"})
    assert stac_errors(no_sar_band)
    bad_checksum = items.item(_s1(), LINKS)
    bad_checksum["assets"]["download"]["file:checksum"] = "sha256:XYZ"
    assert stac_errors(bad_checksum)
