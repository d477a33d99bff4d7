"""INSPIRE view-service metadata in WMS 1.3.0 capabilities (scenario 2, the full set)."""

from __future__ import annotations

import pytest
from lxml import etree

from ogc_server.settings import Settings
from tests.view.helpers import get
from tests.view.test_wms import INSPIRE_VS, SLD_CAPABILITIES, WMS130
from tests.xmlvalidate import validate

pytestmark = pytest.mark.system

NS = {"vs": "http://inspire.ec.europa.eu/schemas/inspire_vs/1.0",
      "c": "http://inspire.ec.europa.eu/schemas/common/1.0",
      "wms": "http://www.opengis.net/wms"}


def test_extended_capabilities_are_valid_and_complete(base_url: str,
                                                      demo_settings: Settings) -> None:
    status, _, body = get(base_url + "/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0")
    assert status == 200
    validate(body, (WMS130, SLD_CAPABILITIES, INSPIRE_VS))
    root = etree.fromstring(body)
    ext = root.find("wms:Capability/vs:ExtendedCapabilities", NS)
    assert ext is not None

    def texts(path: str) -> list[str]:
        return [e.text or "" for e in ext.iterfind(path, NS)]

    assert texts("c:ResourceLocator/c:URL")[0].startswith(base_url + "/wms?")
    assert texts("c:ResourceType") == ["service"]
    assert texts("c:SpatialDataServiceType") == ["view"]
    assert texts("c:MandatoryKeyword/c:KeywordValue") == ["infoMapAccessService"]
    assert "Orthoimagery" in texts("c:Keyword/c:KeywordValue")
    assert texts("c:Conformity/c:Degree") == ["notEvaluated"]
    assert texts("c:MetadataPointOfContact/c:EmailAddress") == [demo_settings.contact.email]
    assert texts("c:SupportedLanguages/c:DefaultLanguage/c:Language") == ["eng"]
    assert texts("c:ResponseLanguage/c:Language") == ["eng"]
    assert len(texts("c:MetadataDate")[0]) == 10
    # the default style carries INSPIRE's name; the collection styles follow it
    styles = [e.text for e in root.iterfind(
        "wms:Capability//wms:Layer[wms:Name='S2_MSI_L1C']/wms:Style/wms:Name", NS)]
    assert styles == ["inspire_common:DEFAULT", "falsecolor", "ndvi"]


def test_inspire_default_style_is_accepted(base_url: str) -> None:
    status, headers, _ = get(
        f"{base_url}/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=S2_MSI_L1C"
        "&STYLES=inspire_common:DEFAULT&CRS=EPSG:4326&BBOX=45,5,55,15&WIDTH=64&HEIGHT=64"
        "&FORMAT=image/png")
    assert status == 200 and headers["Content-Type"] == "image/png"


def test_contact_is_escaped(demo_settings: Settings) -> None:
    from plugins.mapproxy_.inspire import inspire_md

    contact = demo_settings.contact.model_copy(update={"organisation": "Earth & <Sky>"})
    settings = demo_settings.model_copy(update={"contact": contact})
    md = inspire_md(settings)
    assert md["metadata_points_of_contact"][0]["organisation_name"] == "Earth &amp; &lt;Sky&gt;"
    assert md["type"] == "embedded" and md["languages"] == {"default": "eng"}
