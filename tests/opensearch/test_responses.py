"""Description documents and search responses over the demo archive (SQLite and PostGIS)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask.testing import FlaskClient
from lxml import etree

from ogc_server.archive.model import Product
from ogc_server.web.opensearch.xml import NS
from tests.opensearch.conftest import OPENSEARCH_SCHEMAS
from tests.xmlvalidate import errors, parse

OM_SCHEMAS = tuple(f"http://schemas.opengis.net/omeo/1.0/{k}.xsd" for k in ("opt", "sar", "atm"))
S1_GRD = "EOP:CODE-DE:S1_SAR_L1_GRD"
S2_L1C = "EOP:CODE-DE:S2_MSI_L1C"
PUBLIC = "http://127.0.0.1:8080"


def get(client: FlaskClient, url: str, status: int = 200, **headers: str) -> bytes:
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.data[:2000]
    return response.data


def xpath(doc: etree._Element, path: str) -> list:  # noqa: ANN401
    return doc.xpath(path, namespaces={**{k: v for k, v in NS.items()}, "a": NS["atom"]})


def _rnc_pattern(name: str, rnc: str) -> str:
    text = (OPENSEARCH_SCHEMAS / rnc).read_text()
    return re.search(rf'{name}\s*=\s*xsd:string\s*{{\s*pattern\s*="([^"]+)"', text)[1]


def om_valid(element: etree._Element) -> None:
    found = errors(etree.fromstring(etree.tostring(element)), OM_SCHEMAS, validation="lax")
    assert not found, found[:5]


# Description documents ------------------------------------------------------------------


def test_collection_search_description(demo_client: FlaskClient,
                                       osdd_schema: etree.RelaxNG) -> None:
    response = demo_client.get("/opensearch/description.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/opensearchdescription+xml"
    doc = parse(response.data)
    assert osdd_schema.validate(doc), osdd_schema.error_log
    for prefix in ("geo", "time", "eo", "param", "sru", "semantic"):
        assert doc.nsmap[prefix] == NS[prefix]
    urls = {u.get("type"): u for u in xpath(doc, "/os:OpenSearchDescription/os:Url")}
    assert set(urls) == {"application/atom+xml", "application/geo+json",
                         "application/opensearchdescription+xml"}  # no SRU for collections
    atom = urls["application/atom+xml"]
    assert atom.get("rel") == "collection"
    assert "{geo:box?}" in atom.get("template") and "{time:start?}" in atom.get("template")
    platform = xpath(atom, "param:Parameter[@name='platform']/param:Option/@value")
    assert platform == ["Sentinel-1", "Sentinel-2", "Sentinel-3", "Sentinel-5P"]
    assert xpath(atom, "param:Parameter[@name='classifiedAs']/@value") == [
        "{semantic:classifiedAs}"]
    assert xpath(doc, "os:Tags/text()") and xpath(doc, "os:Query[@role='example']")


def test_product_search_description(demo_client: FlaskClient, osdd_schema: etree.RelaxNG,
                                    demo_products: list[Product]) -> None:
    doc = parse(get(demo_client, f"/opensearch/description.xml?parentIdentifier={S1_GRD}"))
    assert osdd_schema.validate(doc), osdd_schema.error_log
    urls = {u.get("type"): u for u in xpath(doc, "os:Url")}
    assert {"application/atom+xml", "application/geo+json", "application/sru+xml"} <= set(urls)
    atom = urls["application/atom+xml"]
    assert atom.get("rel") == "results"
    template = atom.get("template")
    assert template.startswith(f"{PUBLIC}/opensearch/request?parentIdentifier={S1_GRD}&")
    assert "recordSchema=om" in urls["application/sru+xml"].get("template")
    names = xpath(atom, "param:Parameter/@name")
    assert {"polarisationChannels", "antennaLookDirection", "orbitDirection"} <= set(names)
    assert "cloudCover" not in names and "tileId" not in names and "classifiedAs" not in names
    grd = [p for p in demo_products if p.collection == S1_GRD]

    def options(name: str) -> list[str]:
        return xpath(atom, f"param:Parameter[@name='{name}']/param:Option/@value")

    assert options("platformSerialIdentifier") == sorted({p.platform_serial_identifier
                                                         for p in grd})
    assert options("orbitDirection") == sorted({p.orbit_direction for p in grd})
    assert options("productType") == ["GRD"]
    assert options("timerelation") == ["intersects", "during", "contains", "equals", "disjoint"]
    orbit = xpath(atom, "param:Parameter[@name='orbitNumber']")[0]
    assert orbit.get("value") == "{eo:orbitNumber}" and orbit.get("minimum") == "0"
    # the extensions' attributes as the OGC 10-032r8 grammars (geo.rnc, time.rnc) define them
    example = xpath(doc, "os:Query[@role='example']")[0]
    assert re.fullmatch(_rnc_pattern("geobox", "geo.rnc"), example.get(f"{{{NS['geo']}}}box"))
    for side in ("start", "end"):
        assert re.fullmatch(_rnc_pattern("dateTimeString", "time.rnc"),
                            example.get(f"{{{NS['time']}}}{side}"))


def test_optical_description_has_optical_parameters(demo_client: FlaskClient) -> None:
    doc = parse(get(demo_client, f"/opensearch/description.xml?parentIdentifier={S2_L1C}"))
    names = xpath(doc, "os:Url[@type='application/atom+xml']/param:Parameter/@name")
    assert {"cloudCover", "snowCover", "tileId"} <= set(names)
    assert "polarisationMode" not in names
    cloud = xpath(doc, "os:Url[@type='application/atom+xml']"
                       "/param:Parameter[@name='cloudCover']")[0]
    assert (cloud.get("minInclusive"), cloud.get("maxInclusive")) == ("0", "100")


def test_unknown_collection_is_404(demo_client: FlaskClient) -> None:
    for url in ("/opensearch/description.xml?parentIdentifier=EOP:NOPE",
                "/opensearch/request?parentIdentifier=EOP:NOPE"):
        response = demo_client.get(url)
        assert response.status_code == 404 and response.mimetype == "application/xml"
        assert xpath(parse(response.data), "//ows:Exception/@locator") == ["parentIdentifier"]


# Atom ---------------------------------------------------------------------------------------


def test_atom_product_search(demo_client: FlaskClient, atom_schema: etree.RelaxNG,
                             demo_products: list[Product]) -> None:
    response = demo_client.get(f"/opensearch/request?parentIdentifier={S2_L1C}"
                               "&maximumRecords=3&cloudCover=[0,50]")
    assert response.mimetype == "application/atom+xml"
    doc = parse(response.data)
    assert atom_schema.validate(doc), atom_schema.error_log
    expected = sorted((p for p in demo_products if p.collection == S2_L1C
                       and p.cloud_cover is not None and p.cloud_cover <= 50),
                      key=lambda p: p.start, reverse=True)
    assert xpath(doc, "os:totalResults/text()") == [str(len(expected))]
    assert xpath(doc, "os:startIndex/text()") == ["1"]
    assert xpath(doc, "os:itemsPerPage/text()") == ["3"]
    query = xpath(doc, "os:Query")[0]
    assert query.get(f"{{{NS['eo']}}}cloudCover") == "[0,50]"
    assert query.get(f"{{{NS['eo']}}}parentIdentifier") == S2_L1C
    rels = xpath(doc, "a:link/@rel")
    assert {"self", "first", "next", "last", "search", "alternate"} <= set(rels)
    entries = xpath(doc, "a:entry")
    assert [xpath(e, "a:title/text()")[0] for e in entries] == [
        p.identifier for p in expected[:3]]
    product = expected[0]
    entry = entries[0]
    enclosure = xpath(entry, "a:link[@rel='enclosure']")[0]
    assert enclosure.get("title") == "Download" and enclosure.get("type") == "application/zip"
    assert enclosure.get("href") == f"{PUBLIC}/download/{product.file_name}"
    assert enclosure.get("length") == str(product.size)
    assert xpath(entry, "a:link[@rel='icon']/@href") == [
        f"{PUBLIC}/browse/{product.identifier}/thumbnail.jpg"]
    titles = xpath(entry, "a:link[@rel='alternate']/@title")
    assert {"O&M metadata", "STAC item", "ISO 19139 metadata (CSW)"} <= set(titles)
    assert xpath(entry, "dc:date/text()")[0].count("/") == 1
    assert xpath(entry, "georss:polygon") or xpath(entry, "georss:where")
    assert xpath(entry, "eo:cloudCover/text()") == [f"{product.cloud_cover:g}"]
    assert xpath(entry, "eo:tileId/text()") == [product.tile_id]


def test_atom_paging_walks_every_result_once(demo_client: FlaskClient,
                                             demo_products: list[Product]) -> None:
    seen: list[str] = []
    url = "/opensearch/request?parentIdentifier=EOP:CODE-DE:S2_MSI_L1C&maximumRecords=3"
    while url:
        doc = parse(get(demo_client, url))
        seen += xpath(doc, "a:entry/a:title/text()")
        following = xpath(doc, "a:link[@rel='next']/@href")
        url = following[0].replace(PUBLIC, "") if following else ""
    expected = {p.identifier for p in demo_products if p.collection == S2_L1C}
    assert sorted(seen) == sorted(expected)
    last = parse(get(demo_client, url or "/opensearch/request?parentIdentifier="
                     f"{S2_L1C}&maximumRecords=3&startPage=3"))
    assert xpath(last, "a:link[@rel='previous']")


def test_atom_embeds_om_records_on_request(demo_client: FlaskClient) -> None:
    doc = parse(get(demo_client, f"/opensearch/request/?parentIdentifier={S1_GRD}"
                                 "&recordSchema=om&maximumRecords=2"))
    records = xpath(doc, "a:entry/sar:EarthObservation")
    assert len(records) == 2
    for record in records:
        om_valid(record)


def test_collection_search(demo_client: FlaskClient, atom_schema: etree.RelaxNG,
                           demo_products: list[Product]) -> None:
    doc = parse(get(demo_client, "/opensearch/request"))
    assert atom_schema.validate(doc), atom_schema.error_log
    assert xpath(doc, "os:totalResults/text()") == ["11"]
    entry = xpath(doc, f"a:entry[dc:identifier='{S1_GRD}']")[0]
    assert xpath(entry, "a:link[@rel='search']/@href") == [
        f"{PUBLIC}/opensearch/description.xml?parentIdentifier={S1_GRD}"]
    count = sum(p.collection == S1_GRD for p in demo_products)
    assert xpath(entry, "os:Query/@totalResults") == [str(count)]
    assert xpath(entry, "georss:box") and xpath(entry, "dc:date")


@pytest.mark.parametrize(("query", "expected"), [
    ("platform=Sentinel-2", {"EOP:CODE-DE:S2_MSI_L1C", "EOP:CODE-DE:S2_MSI_L2A"}),
    ("instrument=olci", {"EOP:CODE-DE:S3_OLCI_L1"}),
    ("processingLevel=Level-2A", {"EOP:CODE-DE:S2_MSI_L2A"}),
    ("productType=GRD", {S1_GRD}),
    ("query=ocean%20wind", {"EOP:CODE-DE:S1_SAR_L2_OCN"}),
    ("uid=EOP:CODE-DE:S3_SYN_L2", {"EOP:CODE-DE:S3_SYN_L2"}),
    ("classifiedAs=interferometry", {"EOP:CODE-DE:S1_SAR_L1_SLC"}),
    ("platform=Sentinel-5P&startDate=2026-10-20", {"EOP:CODE-DE:S5P_TROPOMI_L2"}),
    ("endDate=2023-11-30", {"EOP:CODE-DE:S2_MSI_L2A"}),
    ("endDate=2023-11-01", set()),
])
def test_collection_search_filters(demo_client: FlaskClient, query: str,
                                   expected: set[str]) -> None:
    body = demo_client.get(f"/opensearch/request?{query}&httpAccept=application/geo%2Bjson").json
    assert {f["properties"]["identifier"] for f in body["features"]} == expected
    assert body["totalResults"] == len(expected)


def test_collection_search_by_area(demo_client: FlaskClient,
                                   demo_products: list[Product]) -> None:
    body = demo_client.get("/opensearch/request?bbox=5,45,15,55&httpAccept=json").json
    found = {f["properties"]["identifier"] for f in body["features"]}
    assert S1_GRD in found
    feature = next(f for f in body["features"] if f["properties"]["identifier"] == S1_GRD)
    assert feature["geometry"]["type"] == "Polygon" and len(feature["bbox"]) == 4
    assert feature["properties"]["links"]["search"][0]["type"] == \
        "application/opensearchdescription+xml"


# GeoJSON ------------------------------------------------------------------------------------


def test_geojson_product_search(demo_client: FlaskClient,
                                demo_products: list[Product]) -> None:
    response = demo_client.get(f"/opensearch/request?parentIdentifier={S1_GRD}"
                               "&httpAccept=application/geo%2Bjson&maximumRecords=2")
    assert response.mimetype == "application/geo+json"
    body = response.json
    grd = sorted((p for p in demo_products if p.collection == S1_GRD), key=lambda p: p.start,
                 reverse=True)
    assert body["type"] == "FeatureCollection"
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (len(grd), 1, 2)
    assert body["queries"]["request"][0]["eo:parentIdentifier"] == S1_GRD
    assert {"self", "first", "next", "last", "search"} <= set(body["properties"]["links"])
    feature = body["features"][0]
    properties = feature["properties"]
    assert properties["identifier"] == grd[0].identifier
    assert properties["date"].startswith(grd[0].start.strftime("%Y-%m-%dT%H:%M:%S"))
    assert {"alternates", "enclosure", "icon", "previews"} <= set(properties["links"])
    enclosure = properties["links"]["enclosure"][0]
    assert enclosure["href"] == f"{PUBLIC}/download/{grd[0].file_name}"
    assert enclosure["length"] == grd[0].size
    acquisition = properties["acquisitionInformation"][0]
    assert acquisition["platform"]["platformShortName"] == "Sentinel-1"
    assert acquisition["instrument"]["sensorType"] == "RADAR"
    assert acquisition["acquisitionParameters"]["polarisationChannels"] == "VV, VH"
    assert properties["productInformation"]["productType"] == "GRD"
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_accept_header_negotiates_the_format(demo_client: FlaskClient) -> None:
    response = demo_client.get(f"/opensearch/request?parentIdentifier={S1_GRD}",
                               headers={"Accept": "application/geo+json"})
    assert response.mimetype == "application/geo+json"
    response = demo_client.get(f"/opensearch/request?parentIdentifier={S1_GRD}",
                               headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.mimetype == "application/atom+xml"


# SRU and O&M ------------------------------------------------------------------------------


def test_sru_response_carries_valid_om_records(demo_client: FlaskClient,
                                               demo_products: list[Product]) -> None:
    by_id = {p.identifier: p for p in demo_products}
    for collection in ("EOP:CODE-DE:S2_MSI_L2A", S1_GRD, "EOP:CODE-DE:S5P_TROPOMI_L2",
                       "EOP:CODE-DE:S3_SLSTR_L2"):
        response = demo_client.get(f"/opensearch/request?parentIdentifier={collection}"
                                   "&httpAccept=application/sru%2Bxml&recordSchema=om"
                                   "&maximumRecords=2")
        assert response.mimetype == "application/sru+xml"
        text = response.data.decode()
        assert text.count("xmlns:") == len(re.findall(r"xmlns:\w+=", text.split(">", 2)[1]))
        doc = parse(response.data)
        total = sum(p.collection == collection for p in demo_products)
        assert xpath(doc, "srw:numberOfRecords/text()") == [str(total)]
        records = xpath(doc, "srw:records/srw:record/srw:recordData/*")
        assert records and len(records) == min(2, total)
        for record in records:
            om_valid(record)
            identifier = xpath(record, ".//eop:identifier/text()")[0]
            product = by_id[identifier]
            assert xpath(record, ".//eop:size/text()") == [str(product.size)]
            assert xpath(record, ".//eop:ProductInformation/eop:fileName/"
                                 "ows:ServiceReference/@xlink:href") == [
                f"{PUBLIC}/download/{product.file_name}"]
            assert xpath(record, "om:phenomenonTime//gml:beginPosition")
            assert xpath(record, "om:resultTime//gml:timePosition")
        if total > 2:
            assert xpath(doc, "srw:nextRecordPosition/text()") == ["3"]


def test_om_record_of_one_product(demo_client: FlaskClient,
                                  demo_products: list[Product]) -> None:
    product = demo_products[0]
    atom = parse(get(demo_client, f"/opensearch/request?parentIdentifier={product.collection}"
                                  f"&uid={product.identifier}"))
    link = xpath(atom, "a:entry/a:link[@title='O&M metadata']/@href")[0]
    parts = urlsplit(link)
    response = demo_client.get(parts.path, query_string=dict(parse_qsl(parts.query)))
    assert response.status_code == 200 and response.mimetype == "application/gml+xml"
    om_valid(parse(response.data))
    entry_link = xpath(atom, "a:entry/a:id/text()")[0].replace(PUBLIC, "")
    again = parse(get(demo_client, entry_link))  # the entry's own address finds the product
    assert xpath(again, "a:entry/a:title/text()") == [product.identifier]


def test_om_validation_is_effective(demo_products: list[Product]) -> None:
    from ogc_server.links import Links
    from ogc_server.web.opensearch.om import earth_observation

    record = earth_observation(demo_products[0], Links(PUBLIC))
    record.insert(0, record[1])  # resultTime before phenomenonTime
    assert errors(etree.fromstring(etree.tostring(record)), OM_SCHEMAS, validation="lax")


# Product filters --------------------------------------------------------------------------


def _ids(client: FlaskClient, query: str) -> set[str]:
    body = client.get(f"/opensearch/request?{query}&httpAccept=json&maximumRecords=500").json
    assert body["totalResults"] == len(body["features"]), body
    return {f["properties"]["identifier"] for f in body["features"]}


@pytest.mark.parametrize(("query", "keep"), [
    ("cloudCover=%5B10,60%5D", lambda p: p.cloud_cover is not None and 10 <= p.cloud_cover <= 60),
    ("cloudCover=]10,60[", lambda p: p.cloud_cover is not None and 10 < p.cloud_cover < 60),
    ("cloudCover=20%5B", lambda p: p.cloud_cover is not None and p.cloud_cover < 20),
    ("orbitDirection=ascending", lambda p: p.orbit_direction == "ASCENDING"),
    ("platform=S1A", lambda p: p.platform == "Sentinel-1" and p.platform_serial_identifier == "A"),
    ("productType={GRD,SLC}", lambda p: p.product_type in ("GRD", "SLC")),
    ("productType=OL_1_*", lambda p: p.product_type.startswith("OL_1_")),
    ("startDate=2026-01-01&endDate=2026-06-30",
     lambda p: p.end.isoformat() >= "2026-01-01" and p.start.isoformat() < "2026-07-01"),
    ("startDate=%5B2026-05-01,2026-05-31%5D",
     lambda p: "2026-05-01" <= p.start.isoformat()[:10] <= "2026-05-31"),
    ("bbox=5,45,16,56", None),
    ("query=T33UVS", lambda p: "T33UVS" in p.identifier),
    ("relativeOrbitNumber=22", lambda p: p.relative_orbit_number == 22),
    ("' OR 1=1 --=1&productType=' OR 1=1 --", lambda p: False),
])
def test_product_filters(demo_client: FlaskClient, demo_products: list[Product], query: str,
                         keep: object) -> None:
    from shapely.geometry import box

    area = box(5, 45, 16, 56)
    predicate = keep or (lambda p: p.footprint.intersects(area))
    # a search over all collections: uid-less, so name every collection
    found = set()
    for collection in sorted({p.collection for p in demo_products}):
        found |= _ids(demo_client, f"parentIdentifier={collection}&{query}")
    assert found == {p.identifier for p in demo_products if predicate(p)}


def test_point_radius_and_sorting(demo_client: FlaskClient,
                                  demo_products: list[Product]) -> None:
    s2 = [p for p in demo_products if p.collection == "EOP:CODE-DE:S2_MSI_L2A"]
    target = s2[0].footprint.centroid
    found = _ids(demo_client, f"parentIdentifier=EOP:CODE-DE:S2_MSI_L2A&lat={target.y}"
                              f"&lon={target.x}&radius=1000")
    assert s2[0].identifier in found
    body = demo_client.get("/opensearch/request?parentIdentifier=EOP:CODE-DE:S2_MSI_L2A"
                           "&sortKeys=cloudCover,,1&httpAccept=json").json
    covers = [f["properties"]["productInformation"]["cloudCover"] for f in body["features"]]
    assert covers == sorted(covers)
    body = demo_client.get("/opensearch/request?parentIdentifier=EOP:CODE-DE:S2_MSI_L2A"
                           "&sortBy=startDate&sortDir=ASC&httpAccept=json").json
    dates = [f["properties"]["date"] for f in body["features"]]
    assert dates == sorted(dates)


def test_empty_catalogue(client: FlaskClient) -> None:
    doc = parse(get(client, f"/opensearch/description.xml?parentIdentifier={S2_L1C}"))
    assert xpath(doc, "os:Url")
    doc = parse(get(client, "/opensearch/request"))
    assert xpath(doc, "os:totalResults/text()") == ["11"]
    assert set(xpath(doc, "a:entry/os:Query/@totalResults")) == {"0"}
    doc = parse(get(client, f"/opensearch/request?parentIdentifier={S2_L1C}"))
    assert xpath(doc, "os:totalResults/text()") == ["0"]
    assert xpath(doc, "a:link[@rel='last']")
