"""Bad WMS requests answer a ServiceException with the right code, never a 500."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.view.helpers import get
from tests.xmlvalidate import validate

pytestmark = pytest.mark.system

EXCEPTIONS_130 = "http://schemas.opengis.net/wms/1.3.0/exceptions_1_3_0.xsd"
GOOD = {
    "SERVICE": "WMS", "REQUEST": "GetMap", "LAYERS": "S2_MSI_L1C", "STYLES": "",
    "BBOX": "45,5,55,15", "WIDTH": "256", "HEIGHT": "256", "FORMAT": "image/png",
}


def _query(version: str, **changes: str | None) -> str:
    params = {**GOOD, "VERSION": version, "CRS" if version == "1.3.0" else "SRS": "EPSG:4326"}
    if version == "1.1.1":
        params["BBOX"] = "5,45,15,55"
    for key, value in changes.items():
        key = {"CRS": "CRS" if version == "1.3.0" else "SRS"}.get(key, key)
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return "&".join(f"{k}={v}" for k, v in params.items())


CASES = [
    # (changes, code in 1.3.0, code in 1.1.1)
    ({"LAYERS": "NO_SUCH_LAYER"}, "LayerNotDefined", "LayerNotDefined"),
    ({"CRS": "EPSG:9999"}, "InvalidCRS", "InvalidSRS"),
    ({"CRS": "EPSG:31467"}, "InvalidCRS", "InvalidSRS"),
    ({"FORMAT": "image/nonsense"}, "InvalidFormat", "InvalidFormat"),
    ({"WIDTH": "5000"}, "InvalidParameterValue", "InvalidParameterValue"),
    ({"HEIGHT": "0"}, "InvalidParameterValue", "InvalidParameterValue"),
    ({"WIDTH": "abc"}, "InvalidParameterValue", "InvalidParameterValue"),
    ({"WIDTH": "4097", "HEIGHT": "4097"}, "InvalidParameterValue", "InvalidParameterValue"),
    ({"BBOX": "1,2,3"}, "InvalidParameterValue", "InvalidParameterValue"),
    ({"BBOX": "a,b,c,d"}, "InvalidParameterValue", "InvalidParameterValue"),
    ({"BBOX": "10,10,0,0"}, "InvalidParameterValue", "InvalidParameterValue"),
    ({"BBOX": "nan,0,1,1"}, "InvalidParameterValue", "InvalidParameterValue"),
    ({"BBOX": "-1e300,-1e300,1e300,1e300"}, "InvalidParameterValue", "InvalidParameterValue"),
    ({"TIME": "yesterday"}, "InvalidDimensionValue", "InvalidDimensionValue"),
    ({"STYLES": "nonsense"}, "StyleNotDefined", "StyleNotDefined"),
    ({"STYLES": "vvvh"}, "StyleNotDefined", "StyleNotDefined"),
    ({"STYLES": "ndvi,ndvi"}, "StyleNotDefined", "StyleNotDefined"),
    ({"LAYERS": "S2_MSI_L1C_NDVI", "STYLES": "falsecolor"}, "StyleNotDefined",
     "StyleNotDefined"),
    ({"LAYERS": "S2_MSI_L1C_footprints", "STYLES": "ndvi"}, "StyleNotDefined",
     "StyleNotDefined"),
    ({"TIME": "2024-02-30"}, "InvalidDimensionValue", "InvalidDimensionValue"),
    ({"TIME": "2025-01-01/2024-01-01"}, "InvalidDimensionValue", "InvalidDimensionValue"),
    ({"TIME": "2024-01-01/2024-02-01/PXYZ"}, "InvalidDimensionValue", "InvalidDimensionValue"),
    ({"TIME": ",".join(["2024-01-01"] * 101)}, "InvalidDimensionValue",
     "InvalidDimensionValue"),
    ({"PRODUCT": "NO_SUCH_PRODUCT"}, "InvalidParameterValue", "InvalidParameterValue"),
    ({"BGCOLOR": "zz"}, "InvalidParameterValue", "InvalidParameterValue"),
    # a repeated parameter counts once, the first time, for the checks as for the drawing
    ({"WIDTH": "5000&WIDTH=10"}, "InvalidParameterValue", "InvalidParameterValue"),
    ({"REQUEST": "GetFeatureInfo&QUERY_LAYERS=S2_MSI_L1C&INFO_FORMAT=application/json"
                 "&I=a&J=b&X=a&Y=b"}, "InvalidPoint", "InvalidPoint"),
    ({"REQUEST": "GetFeatureInfo&QUERY_LAYERS=S2_MSI_L1C&INFO_FORMAT=application/json"
                 "&I=-1&J=3&X=-1&Y=3"}, "InvalidPoint", "InvalidPoint"),
    ({"REQUEST": "GetFeatureInfo&QUERY_LAYERS=S2_MSI_L1C&INFO_FORMAT=application/json"
                 "&I=256&J=3&X=256&Y=3"}, "InvalidPoint", "InvalidPoint"),
]


@pytest.mark.parametrize("version", ["1.3.0", "1.1.1"])
@pytest.mark.parametrize(("changes", "code130", "code111"), CASES,
                         ids=[",".join(c[0]) + "-" + c[1] for c in CASES])
def test_bad_getmap_is_a_service_exception(base_url: str, version: str,
                                           changes: dict[str, str], code130: str,
                                           code111: str) -> None:
    status, headers, body = get(f"{base_url}/wms?{_query(version, **changes)}")
    assert status == 400, body[:300]
    assert "xml" in headers["Content-Type"]
    root = etree.fromstring(body)
    assert etree.QName(root).localname == "ServiceExceptionReport"
    codes = [e.get("code") for e in root.iter() if etree.QName(e).localname == "ServiceException"]
    assert codes == [code130 if version == "1.3.0" else code111]
    if version == "1.3.0":
        validate(body, EXCEPTIONS_130)


def test_missing_parameters_are_client_errors(base_url: str) -> None:
    for params in ("SERVICE=WMS&REQUEST=GetMap&VERSION=1.3.0",
                   "SERVICE=WMS&REQUEST=Nonsense&VERSION=1.3.0",
                   "SERVICE=WMS&VERSION=1.3.0", "SERVICE=NOPE&REQUEST=GetCapabilities",
                   _query("1.3.0", LAYERS=None), _query("1.3.0", BBOX=None),
                   _query("1.3.0", REQUEST="GetFeatureInfo")):
        status, headers, _ = get(f"{base_url}/wms?{params}")
        assert 400 <= status < 500, params


def test_good_request_in_a_map_outside_the_data_is_transparent(base_url: str) -> None:
    status, headers, body = get(f"{base_url}/wms?{_query('1.3.0', BBOX='-89,-179,-88,-178')}")
    assert status == 200 and headers["Content-Type"] == "image/png"
