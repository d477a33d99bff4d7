"""``/wmts`` (KVP and REST) and ``/tiles`` (TMS / XYZ) through OWSLib and plain HTTP."""

from __future__ import annotations

import pytest
from owslib.wmts import WebMapTileService

from ogc_server.archive.extents import collection_extents
from ogc_server.services import Services
from ogc_server.view.timeparam import format_instant
from tests.view.helpers import get, image
from tests.xmlvalidate import validate

pytestmark = pytest.mark.system


def test_wmts_capabilities_and_tiles(base_url: str) -> None:
    wmts = WebMapTileService(base_url + "/wmts")
    assert {"S2_MSI_L1C", "S1_SAR_L1_GRD", "S2_MSI_L1C_footprints"} <= set(wmts.contents)
    assert {"webmercator", "wgs84"} <= set(wmts.tilematrixsets)
    tile = wmts.gettile(layer="S1_SAR_L1_GRD", tilematrixset="webmercator", tilematrix="01",
                        row=0, column=1, format="image/png")
    pixels = image(tile.read())
    assert pixels.shape == (256, 256, 4)


def test_wmts_rest_and_tms_and_xyz(base_url: str) -> None:
    status, headers, body = get(base_url + "/wmts/1.0.0/WMTSCapabilities.xml")
    assert status == 200 and b"S2_MSI_L2A" in body
    # lax: OGC's GML 3.1.1 restrictions do not compile strictly (the document is checked whole)
    validate(body, "http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd",
             validation="lax")
    status, _, body = get(base_url + "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")
    assert status == 200 and f'href="{base_url}/wmts?'.encode() in body
    assert b"/service?" not in body
    status, _, body = get(base_url + "/wmts/S3_OLCI_L1/webmercator/01/0/1.png")
    assert status == 200 and image(body).shape == (256, 256, 4)
    status, _, body = get(base_url + "/tiles/1.0.0/")
    assert status == 200 and b"S5P_TROPOMI_L2" in body
    status, _, body = get(base_url + "/tiles/1.0.0/S3_OLCI_L1/webmercator/1/1/1.png")
    assert status == 200 and image(body).shape == (256, 256, 4)
    status, _, body = get(base_url + "/tiles/S3_OLCI_L1/webmercator/1/1/0.png")
    assert status == 200 and image(body).shape == (256, 256, 4)


def test_unknown_tiles_are_client_errors(base_url: str) -> None:
    for path in ("/tiles/NOPE/webmercator/1/1/0.png", "/wmts/NOPE/webmercator/01/0/1.png",
                 "/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER=NOPE", "/tiles/../../etc/passwd"):
        status, _, _ = get(base_url + path)
        assert 400 <= status < 500, path


def test_wmts_time_dimension_and_filter(base_url: str, view_services: Services) -> None:
    from lxml import etree

    extent = collection_extents(view_services.store)["EOP:CODE-DE:S1_SAR_L1_GRD"]
    assert extent.start and extent.end
    status, _, body = get(base_url + "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities")
    root = etree.fromstring(body)
    ns = {"w": "http://www.opengis.net/wmts/1.0", "ows": "http://www.opengis.net/ows/1.1"}
    layer = next(la for la in root.iterfind(".//w:Layer", ns)
                 if la.findtext("ows:Identifier", namespaces=ns) == "S1_SAR_L1_GRD")
    dimension = layer.find("w:Dimension", ns)
    assert dimension.findtext("ows:Identifier", namespaces=ns) == "Time"
    assert dimension.findtext("w:Default", namespaces=ns) == format_instant(extent.end)
    assert dimension.findtext("w:Value", namespaces=ns) == (
        f"{format_instant(extent.start)}/{format_instant(extent.end)}/PT1S")
    tile = (f"{base_url}/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=S1_SAR_L1_GRD"
            "&STYLE=default&TILEMATRIXSET=wgs84&TILEMATRIX=00&TILEROW=0&TILECOL=0"
            "&FORMAT=image/png")
    everything = (image(get(tile)[2])[..., 3] > 0).sum()
    assert everything > 0
    assert (image(get(tile + "&TIME=1990")[2])[..., 3] > 0).sum() == 0
    span = f"{format_instant(extent.start)}/{format_instant(extent.end)}"
    assert (image(get(f"{tile}&TIME={span}")[2])[..., 3] > 0).sum() == everything
    status, _, body = get(tile + "&TIME=not-a-time")
    assert status == 400 and b'exceptionCode="InvalidParameterValue"' in body
    # XYZ tiles take the same filter
    xyz = f"{base_url}/tiles/S1_SAR_L1_GRD/wgs84/0/0/0.png"
    assert (image(get(xyz + "?time=1990")[2])[..., 3] > 0).sum() == 0
