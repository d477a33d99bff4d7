"""The records themselves: every record of the catalogue in every element set is valid ISO 19139
(gmd + gmx, strict schemas), products carry their EO facts and resource locators, collections
are their INSPIRE records from ``metadata/``, and the Dublin Core view holds the core elements."""

from __future__ import annotations

from lxml import etree
from werkzeug.test import Client

from ogc_server.archive.model import Product
from ogc_server.archive.store import QueryResult
from ogc_server.links import Links
from ogc_server.metadata import collection_record
from ogc_server.service_metadata import KEYS as SERVICE_KEYS
from ogc_server.settings import Settings
from plugins.pycsw_.app import CswApp
from plugins.pycsw_.repository import Search
from tests.conftest import DEMO_PRODUCTS
from tests.csw.helpers import NS, assert_valid
from tests.xmlvalidate import ISO_METADATA, errors, parse

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def _product(products: QueryResult, prefix: str) -> Product:
    return next(p for p in products.products if p.identifier.startswith(prefix))


def test_every_record_is_valid_iso_in_every_element_set(csw_app: CswApp) -> None:
    total, records = csw_app.catalogue.search(Search(), 0, 1000)
    assert total == len(records) == DEMO_PRODUCTS + 11 + len(SERVICE_KEYS)
    for record in records:
        names = {}
        for esn in ("brief", "summary", "full"):
            root = record.iso(esn)
            found = errors(root, ISO_METADATA)
            assert not found, (record.identifier, esn, found[:5])
            names[esn] = {etree.QName(e).localname for e in root.iter() if isinstance(e.tag, str)}
        assert names["brief"] < names["summary"] < names["full"]


def test_product_record_has_eo_facts_and_locators(csw_app: CswApp,
                                                  demo_products: QueryResult,
                                                  demo_settings: Settings) -> None:
    product = _product(demo_products, "S2B_MSIL2A_20260528T134902")
    root = csw_app.catalogue.product_record(product).iso("full")
    links = Links(demo_settings.public_url)
    ident = "gmd:identificationInfo/gmd:MD_DataIdentification"

    def text(path: str) -> str | None:
        return root.findtext(path, namespaces=NS)

    assert text("gmd:fileIdentifier/gco:CharacterString") == product.identifier
    assert text("gmd:parentIdentifier/gco:CharacterString") == product.collection
    assert root.find("gmd:hierarchyLevel/gmd:MD_ScopeCode", NS).get("codeListValue") == "dataset"
    keywords = [k.text for k in root.findall(f"{ident}//gmd:keyword/*", NS)]
    for word in ("Sentinel-2", "MSI", "S2MSI2A", "Level-2A", "Orthoimagery"):
        assert word in keywords
    cloud = text("gmd:contentInfo/gmd:MD_ImageDescription/gmd:cloudCoverPercentage/gco:Real")
    assert float(cloud) == product.cloud_cover
    period = root.find(f"{ident}/gmd:extent//gml:TimePeriod", NS)
    assert period.findtext("gml:beginPosition", namespaces=NS) == \
        product.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert period.findtext("gml:endPosition", namespaces=NS) == \
        product.end.strftime("%Y-%m-%dT%H:%M:%SZ")
    box = root.find(f"{ident}/gmd:extent//gmd:EX_GeographicBoundingBox", NS)
    bounds = [float(box.findtext(f"gmd:{side}/gco:Decimal", namespaces=NS)) for side in (
        "westBoundLongitude", "southBoundLatitude", "eastBoundLongitude", "northBoundLatitude")]
    assert [round(b, 5) for b in bounds] == [round(b, 5) for b in product.footprint.bounds]
    online = {r.findtext("gmd:function/gmd:CI_OnLineFunctionCode", namespaces=NS) + ":" +
              r.findtext("gmd:protocol/gco:CharacterString", namespaces=NS):
              r.findtext("gmd:linkage/gmd:URL", namespaces=NS)
              for r in root.findall(".//gmd:onLine/gmd:CI_OnlineResource", NS)}
    assert online == {
        "download:WWW:DOWNLOAD-1.0-http--download": links.download(product),
        "search:OpenSearch:Description": links.opensearch_description(product.collection),
        "information:OGC:WMS": links.wms(),
        "information:STAC:Item": links.stac_item(product),
    }
    graphics = [g.findtext("gmd:fileName/gco:CharacterString", namespaces=NS)
                for g in root.findall(f"{ident}/gmd:graphicOverview/gmd:MD_BrowseGraphic", NS)]
    assert links.quicklook(product) in graphics


def test_product_without_cloud_cover_or_browse(csw_app: CswApp,
                                               demo_products: QueryResult) -> None:
    product = _product(demo_products, "S5P_OFFL_L1B_RA_BD6")
    root = csw_app.catalogue.product_record(product).iso("full")
    assert root.find(".//gmd:cloudCoverPercentage", NS) is None
    assert root.find(".//gmd:graphicOverview", NS) is None
    assert not errors(root, ISO_METADATA)


def test_collection_record_is_its_inspire_record(csw_app: CswApp,
                                                 demo_settings: Settings) -> None:
    for collection in demo_settings.collection_list:
        served = csw_app.catalogue.find([collection.identifier])[0].iso("full")
        original = parse(collection_record(demo_settings, collection))
        assert [" ".join(t.split()) for t in served.itertext() if t.strip()] == \
            [" ".join(t.split()) for t in original.itertext() if t.strip()]
        assert "{public_url}" not in etree.tostring(served).decode()


def test_dublin_core_record_of_a_product(csw: Client, demo_products: QueryResult,
                                         demo_settings: Settings) -> None:
    product = _product(demo_products, "S1A_IW_GRDH_1SDV_20231201")
    response = csw.get("/", query_string={
        "service": "CSW", "version": "2.0.2", "request": "GetRecordById",
        "id": product.identifier, "elementsetname": "full"})
    root = assert_valid(response.get_data())
    record = root.find("csw:Record", NS)
    assert record.findtext("dc:identifier", namespaces=NS) == product.identifier
    assert record.findtext("dc:title", namespaces=NS) == product.identifier
    assert record.findtext("dc:type", namespaces=NS) == "dataset"
    assert record.findtext("dc:relation", namespaces=NS) == product.collection
    assert record.findtext("dct:modified", namespaces=NS) == \
        product.modification_date.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "EOP:CODE-DE:S1_SAR_L1_GRD" in record.findtext("dct:abstract", namespaces=NS)
    subjects = {s.text for s in record.findall("dc:subject", NS)}
    assert {"Sentinel-1", "SAR-C", "GRD", "Level-1"} <= subjects
    references = {r.get("scheme"): r.text for r in record.findall("dct:references", NS)}
    links = Links(demo_settings.public_url)
    assert references["WWW:DOWNLOAD-1.0-http--download"] == links.download(product)
    assert references["STAC:Item"] == links.stac_item(product)
    lower = record.findtext("ows:BoundingBox/ows:LowerCorner", namespaces=NS).split()
    west, south = product.footprint.bounds[:2]
    assert [float(v) for v in lower] == [south, west]  # EPSG:4326: latitude first


def test_series_records_describe_the_collections(csw: Client, demo_settings: Settings) -> None:
    response = csw.get("/", query_string={
        "service": "CSW", "version": "2.0.2", "request": "GetRecords", "typenames": "csw:Record",
        "elementsetname": "summary", "resulttype": "results", "maxrecords": "20",
        "constraintlanguage": "CQL_TEXT", "constraint": "dc:type = 'series'"})
    root = assert_valid(response.get_data())
    records = root.findall(".//csw:SummaryRecord", NS)
    assert [r.findtext("dc:identifier", namespaces=NS) for r in records] == \
        [c.identifier for c in demo_settings.collection_list]
    for record, collection in zip(records, demo_settings.collection_list, strict=True):
        assert record.findtext("dc:title", namespaces=NS) == collection.title
        schemes = {r.get("scheme") for r in record.findall("dct:references", NS)}
        assert schemes == {"OpenSearch:Description", "OGC:WMS", "STAC:Collection"}
