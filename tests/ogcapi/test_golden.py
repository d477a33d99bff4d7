"""The records API's documents compared with golden files (the same on SQLite and PostGIS)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.ogcapi import golden
from tests.ogcapi.conftest import Api

RECORD = "S1A_IW_GRDH_1SDV_20231201T170748_20231201T170813_051464_061FB5_61FD"

CASES = {
    "landing": "/",
    "conformance": "/conformance",
    "collections": "/collections",
    "collection_S2_MSI_L1C": "/collections/S2_MSI_L1C",
    "queryables_S2_MSI_L1C": "/collections/S2_MSI_L1C/queryables",
    "items_S2_MSI_L1C": "/collections/S2_MSI_L1C/items?limit=2",
    "items_bbox_datetime_sortby": "/collections/products/items?bbox=5,45,16,56"
                                  "&datetime=2026-01-01T00:00:00Z/..&sortby=startDate&limit=3",
    "items_filter_properties": "/collections/products/items?sortby=-startDate&limit=3"
                               "&properties=title,productType,orbitDirection,startDate&filter="
                               + quote("productType = 'GRD' AND orbitDirection = 'ASCENDING'"),
    "record_S1_GRD": f"/collections/S1_SAR_L1_GRD/items/{RECORD}",
    "error_bbox": "/collections/products/items?bbox=0,60,10,40",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(demo_api: Api, name: str) -> None:
    path = CASES[name]
    status = 400 if name.startswith("error") else 200
    golden.check(name, demo_api.json(path, status=status))
