"""WFS 2.0 over the demo archive: documents valid against the official schemas, answers equal
to the catalogue's for the same question (SQLite and PostGIS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from flask.testing import FlaskClient
from shapely.geometry import box

from ogc_server.archive.query import ProductQuery, Range
from ogc_server.services import Services
from tests.features.conftest import WFS
from tests.features.helpers import NS, WFS_XSD, application_schema, fes, member_ids, xml
from tests.xmlvalidate import validate

L1C = "EOP:CODE-DE:S2_MSI_L1C"
S2 = [L1C, "EOP:CODE-DE:S2_MSI_L2A"]
GET = WFS + "&REQUEST=GetFeature"


def _filter(body: str) -> str:
    return "&FILTER=" + quote(body)


def _ids(services: Services, **query) -> list[str]:
    result = services.store.query(ProductQuery(limit=10_000, **query))
    assert result.total == len(result.products)
    return [p.identifier for p in result.products]


def test_capabilities_are_valid_and_list_every_collection(client: FlaskClient,
                                                          demo_services: Services) -> None:
    response = client.get(WFS + "&REQUEST=GetCapabilities")
    validate(response.get_data(), WFS_XSD)
    root = xml(response)
    names = root.xpath("//wfs:FeatureType/wfs:Name/text()", namespaces=NS)
    assert len(names) == len(demo_services.settings.collection_list)
    assert "codede:S2_MSI_L1C" in names
    spatial = root.xpath("//fes:SpatialOperator/@name", namespaces=NS)
    assert {"BBOX", "Intersects"} <= set(spatial)
    assert {"During", "After", "Before"} <= set(
        root.xpath("//fes:TemporalOperator/@name", namespaces=NS))
    paging = root.xpath("//ows:Constraint[@name='ImplementsResultPaging']/ows:DefaultValue",
                        namespaces=NS)
    assert paging[0].text == "TRUE"
    dls = "http://inspire.ec.europa.eu/schemas/inspire_dls/1.0"
    common = "http://inspire.ec.europa.eu/schemas/common/1.0"
    identifiers = root.findall(f".//{{{dls}}}SpatialDataSetIdentifier")
    assert sorted(f"{i.findtext(f'{{{common}}}Namespace')}:{i.findtext(f'{{{common}}}Code')}"
                  for i in identifiers) == sorted(
        c.identifier for c in demo_services.settings.collection_list)
    assert root.findtext(f".//{{{common}}}SpatialDataServiceType") == "download"


def test_features_are_valid_against_wfs_and_the_feature_type_schema(
        client: FlaskClient, tmp_path: Path) -> None:
    dft = client.get(WFS + "&REQUEST=DescribeFeatureType&TYPENAMES=codede:S2_MSI_L1C,"
                     "codede:S1_SAR_L1_GRD")
    assert dft.status_code == 200
    schema = application_schema(dft.get_data(), tmp_path)
    response = client.get(GET + "&TYPENAMES=codede:S2_MSI_L1C,codede:S1_SAR_L1_GRD&COUNT=20")
    assert response.content_type == "application/gml+xml; version=3.2"
    root = xml(response)
    assert member_ids(root)
    schema.validate(root)
    validate(response.get_data(), WFS_XSD, validation="lax")


def test_pages_match_the_catalogue(client: FlaskClient, demo_services: Services) -> None:
    expected = _ids(demo_services, collections=S2)
    url: str | None = GET + "&TYPENAMES=codede:S2_MSI_L1C,codede:S2_MSI_L2A&COUNT=3"
    seen: list[str] = []
    while url:
        root = xml(client.get(url))
        assert int(root.get("numberMatched")) == len(expected)
        page = member_ids(root)
        assert int(root.get("numberReturned")) == len(page) <= 3
        seen += page
        following = root.get("next")
        url = None
        if following:
            parts = urlsplit(following)
            url = f"{parts.path}?{parts.query}"
    assert seen == expected
    last = xml(client.get(GET + "&TYPENAMES=codede:S2_MSI_L1C&COUNT=2&STARTINDEX=2"))
    assert last.get("previous") and "STARTINDEX=0" in last.get("previous")


def test_hits_count_without_members(client: FlaskClient, demo_services: Services) -> None:
    root = xml(client.get(GET + "&TYPENAMES=codede:S2_MSI_L1C&RESULTTYPE=hits"))
    assert root.get("numberMatched") == str(len(_ids(demo_services, collections=[L1C])))
    assert root.get("numberReturned") == "0"
    assert not root.findall("wfs:member", NS)


@pytest.mark.parametrize("bbox", ["-60,-180,80,20", "-60,-180,80,20,urn:ogc:def:crs:EPSG::4326",
                                  "-180,-60,20,80,urn:ogc:def:crs:OGC:1.3:CRS84",
                                  "-180,-60,20,80,EPSG:4326"])
def test_bbox_axis_order_follows_the_crs(client: FlaskClient, demo_services: Services,
                                         bbox: str) -> None:
    expected = _ids(demo_services, geometry=box(-180, -60, 20, 80))
    doc = client.get(GET + f"&TYPENAMES={_all(demo_services)}&COUNT=1000&BBOX={bbox}"
                     "&OUTPUTFORMAT=application/json").get_json(force=True)
    assert sorted(f["properties"]["identifier"] for f in doc["features"]) == sorted(expected)
    assert doc["numberMatched"] == len(expected)


def _all(services: Services) -> str:
    return ",".join("codede:" + c.short_name for c in services.settings.collection_list)


def test_coordinates_are_latitude_first_in_the_urn_crs(client: FlaskClient) -> None:
    urn = xml(client.get(GET + "&TYPENAMES=codede:S2_MSI_L1C&COUNT=1"))
    crs84 = xml(client.get(GET + "&TYPENAMES=codede:S2_MSI_L1C&COUNT=1"
                           "&SRSNAME=urn:ogc:def:crs:OGC:1.3:CRS84"))
    lat_lon = urn.xpath("//gml:posList/text()", namespaces=NS)[0].split()
    lon_lat = crs84.xpath("//gml:posList/text()", namespaces=NS)[0].split()
    assert lat_lon[0::2] == lon_lat[1::2] and lat_lon[1::2] == lon_lat[0::2]
    assert crs84.xpath("//gml:Polygon/@srsName", namespaces=NS)[0].endswith("CRS84")


def test_fes_filter_on_an_eo_property(client: FlaskClient, demo_services: Services) -> None:
    body = fes("<fes:PropertyIsLessThan><fes:ValueReference>codede:cloudCover"
               "</fes:ValueReference><fes:Literal>30</fes:Literal></fes:PropertyIsLessThan>")
    root = xml(client.get(GET + "&TYPENAMES=codede:S2_MSI_L1C,codede:S2_MSI_L2A&COUNT=100"
                          + _filter(body)))
    expected = _ids(demo_services, collections=S2,
                    where={"cloud_cover": Range(None, 30, high_inclusive=False)})
    assert member_ids(root) == expected


def test_fes_bbox_envelope_in_lat_lon(client: FlaskClient, demo_services: Services) -> None:
    body = fes('<fes:BBOX><gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326">'
               "<gml:lowerCorner>-60 -180</gml:lowerCorner>"
               "<gml:upperCorner>80 20</gml:upperCorner></gml:Envelope></fes:BBOX>")
    doc = client.get(GET + f"&TYPENAMES={_all(demo_services)}&COUNT=1000"
                     "&OUTPUTFORMAT=application/geo%2Bjson" + _filter(body)).get_json(force=True)
    assert doc["numberMatched"] == len(_ids(demo_services, geometry=box(-180, -60, 20, 80)))


def _middle(services: Services) -> datetime:
    starts = sorted(p.start for p in services.store.query(ProductQuery(limit=1000)).products)
    return starts[len(starts) // 2]


def _period(begin: datetime, end: datetime) -> str:
    return (f'<gml:TimePeriod gml:id="t1"><gml:beginPosition>{begin.isoformat()}'
            f"</gml:beginPosition><gml:endPosition>{end.isoformat()}</gml:endPosition>"
            "</gml:TimePeriod>")


def _instant(when: datetime) -> str:
    return (f'<gml:TimeInstant gml:id="t1"><gml:timePosition>{when.isoformat()}'
            "</gml:timePosition></gml:TimeInstant>")


def test_time_filters_on_the_acquisition(client: FlaskClient, demo_services: Services) -> None:
    middle = _middle(demo_services).astimezone(UTC).replace(microsecond=0)
    begin, end = middle - timedelta(days=20), middle + timedelta(days=20)
    types = _all(demo_services)
    cases = {
        "During": (_period(begin, end), dict(start=begin, end=end, time_relation="during")),
        "After": (_instant(middle), dict(where={"start": Range(middle, None,
                                                               low_inclusive=False)})),
        "Before": (_instant(middle), dict(where={"end": Range(None, middle,
                                                              high_inclusive=False)})),
    }
    for op, (operand, query) in cases.items():
        body = fes(f"<fes:{op}><fes:ValueReference>startDate</fes:ValueReference>{operand}"
                   f"</fes:{op}>")
        doc = client.get(GET + f"&TYPENAMES={types}&COUNT=1000&OUTPUTFORMAT=json"
                         + _filter(body)).get_json(force=True)
        expected = _ids(demo_services, **query)
        assert 0 < doc["numberMatched"] == len(expected), op
        assert sorted(f["properties"]["identifier"] for f in doc["features"]) == sorted(
            expected), op


def test_resource_ids_and_get_feature_by_id(client: FlaskClient,
                                            demo_services: Services) -> None:
    first, second = _ids(demo_services, collections=[L1C])[:2]
    root = xml(client.get(GET + f"&RESOURCEID=S2_MSI_L1C.{first},{second}"))
    assert sorted(member_ids(root)) == sorted([first, second])
    single = xml(client.get(WFS + "&REQUEST=GetFeature&STOREDQUERY_ID="
                            f"urn:ogc:def:query:OGC-WFS::GetFeatureById&ID={first}"))
    assert single.tag == f"{{{single.nsmap['codede']}}}S2_MSI_L1C"
    assert single.findtext("gml:identifier", namespaces=NS) == first
    rid = fes(f'<fes:ResourceId rid="S2_MSI_L1C.{first}"/>')
    root = xml(client.get(GET + "&TYPENAMES=codede:S2_MSI_L1C" + _filter(rid)))
    assert member_ids(root) == [first]


def test_sortby_descending(client: FlaskClient, demo_services: Services) -> None:
    doc = client.get(GET + "&TYPENAMES=codede:S2_MSI_L1C&SORTBY=cloudCover DESC"
                     "&OUTPUTFORMAT=application/json").get_json(force=True)
    clouds = [f["properties"]["cloudCover"] for f in doc["features"]]
    assert clouds == sorted(clouds, reverse=True) and len(clouds) > 2


def test_post_get_feature_equals_kvp(client: FlaskClient, demo_services: Services) -> None:
    body = (
        '<wfs:GetFeature xmlns:wfs="http://www.opengis.net/wfs/2.0" '
        'xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" '
        'service="WFS" version="2.0.0" count="100">'
        '<wfs:Query typeNames="codede:S2_MSI_L1C codede:S2_MSI_L2A">'
        "<fes:Filter><fes:PropertyIsGreaterThanOrEqualTo><fes:ValueReference>cloudCover"
        "</fes:ValueReference><fes:Literal>10</fes:Literal>"
        "</fes:PropertyIsGreaterThanOrEqualTo></fes:Filter>"
        "<fes:SortBy><fes:SortProperty><fes:ValueReference>identifier</fes:ValueReference>"
        "<fes:SortOrder>DESC</fes:SortOrder></fes:SortProperty></fes:SortBy>"
        "</wfs:Query></wfs:GetFeature>"
    )
    response = client.post("/wfs", data=body, content_type="application/xml")
    expected = _ids(demo_services, collections=S2, where={"cloud_cover": Range(10, None)},
                    sort=[("identifier", False)])
    assert member_ids(xml(response)) == expected
    # paging links of an XML request are the same query in KVP
    paged = client.post("/wfs", data=body.replace('count="100"', 'count="2"'),
                        content_type="application/xml")
    seen, root = [], xml(paged)
    while True:
        seen += member_ids(root)
        following = root.get("next")
        if not following:
            break
        parts = urlsplit(following)
        root = xml(client.get(f"{parts.path}?{parts.query}"))
    assert seen == expected
