"""SRU 2.0 searchRetrieve responses (``recordSchema=om``): one EO O&M record per product."""

from __future__ import annotations

from ogc_server.web.opensearch import om
from ogc_server.web.opensearch.common import Page
from ogc_server.web.opensearch.xml import NS, nsmap, sub, to_bytes
from ogc_server.web.opensearch.xml import element as new_element

MEDIA_TYPE = "application/sru+xml"
RECORD_SCHEMA = NS["eop"]
EXACT = "info:srw/vocabulary/resultCountPrecision/1/exact"
#: Every namespace of the document, declared once on its root.
NAMESPACES = nsmap("gml", "om", "ows", "eop", "opt", "sar", "atm", "xlink", sru="srw")


def search_retrieve_response(page: Page) -> bytes:
    root = new_element("srw:searchRetrieveResponse", nsmap_=NAMESPACES)
    sub(root, "srw:numberOfRecords", page.total)
    if page.products:
        records = sub(root, "srw:records")
        for position, product in enumerate(page.products, start=page.request.start_index):
            record = sub(records, "srw:record")
            sub(record, "srw:recordSchema", RECORD_SCHEMA)
            sub(record, "srw:recordXMLEscaping", "xml")
            data = sub(record, "srw:recordData")
            om.earth_observation(product, page.links, parent=data)
            sub(record, "srw:recordPosition", position)
    following = page.request.start_index + len(page.products)
    if page.products and following <= page.total:
        sub(root, "srw:nextRecordPosition", following)
    sub(root, "srw:resultCountPrecision", EXACT)
    return to_bytes(root)


def record(page: Page) -> bytes:
    """The O&M record of the one product of ``page`` (``httpAccept=application/gml+xml``)."""
    return to_bytes(om.earth_observation(page.products[0], page.links))
