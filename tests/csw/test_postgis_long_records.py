"""The longest real records on PostGIS.

pycsw's own repository copies every record into a table whose text columns carry B-tree
indexes; PostgreSQL refuses index entries larger than about a third of a page (2,704 bytes), so
inserting long records fails there (pycsw issues #398, #470, #942). This catalogue never copies
a record: the collection records are read from ``metadata/`` and the product records are made
from the archive's rows. These tests take the record with the longest text of the demo
catalogue, far over that limit, and find and fetch it whole through CSW on PostGIS.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest
from werkzeug.test import Client

from ogc_server.metadata import collection_record
from ogc_server.settings import Settings
from plugins.pycsw_.app import CswApp
from tests.csw.helpers import NS, assert_valid
from tests.xmlvalidate import parse

pytestmark = pytest.mark.postgres
BTREE_LIMIT = 2704
CSW2 = "http://www.opengis.net/cat/csw/2.0.2"


def _like(value: str, extra: str = "") -> bytes:
    like = ('<ogc:PropertyIsLike wildCard="*" singleChar="?" escapeChar="!"><ogc:PropertyName>'
            f"csw:AnyText</ogc:PropertyName><ogc:Literal>*{escape(value)}*</ogc:Literal>"
            "</ogc:PropertyIsLike>")
    predicate = f"<ogc:And>{like}{extra}</ogc:And>" if extra else like
    return (f'<csw:GetRecords xmlns:csw="{CSW2}" xmlns:ogc="http://www.opengis.net/ogc" '
            'service="CSW" version="2.0.2" resultType="results" maxRecords="100" '
            f'outputSchema="{CSW2}"><csw:Query typeNames="csw:Record">'
            "<csw:ElementSetName>brief</csw:ElementSetName><csw:Constraint version=\"1.1.0\">"
            f"<ogc:Filter>{predicate}</ogc:Filter></csw:Constraint></csw:Query>"
            "</csw:GetRecords>").encode()


def _type(value: str) -> str:
    return ("<ogc:PropertyIsEqualTo><ogc:PropertyName>dc:type</ogc:PropertyName>"
            f"<ogc:Literal>{value}</ogc:Literal></ogc:PropertyIsEqualTo>")


@pytest.fixture
def postgis(demo_settings: Settings) -> None:
    if not demo_settings.database_url.startswith("postgresql"):
        pytest.skip("the B-tree limit is PostgreSQL's")


def _clean(text: str) -> str:
    return "".join(c for c in text if c not in "*?!")


def test_longest_record_is_found_and_served_whole(postgis: None, csw: Client, csw_app: CswApp,
                                                  demo_settings: Settings) -> None:
    series = csw_app.catalogue.series
    longest = max(series, key=lambda f: len(" ".join(f.texts).encode()))
    assert len(" ".join(longest.texts).encode()) > BTREE_LIMIT
    longest_text = max(longest.texts, key=len)
    tail = _clean(longest_text[-120:])
    response = csw.post("/", data=_like(tail), content_type="application/xml")
    assert response.status_code == 200, response.get_data()[:500]
    root = assert_valid(response.get_data())
    found = [e.text for e in root.findall(".//csw:BriefRecord/dc:identifier", NS)]
    assert longest.identifier in found

    response = csw.get("/", query_string={
        "service": "CSW", "version": "2.0.2", "request": "GetRecordById",
        "id": longest.identifier, "outputschema": "http://www.isotc211.org/2005/gmd",
        "elementsetname": "full"})
    served = assert_valid(response.get_data()).find("gmd:MD_Metadata", NS)
    original = parse(collection_record(demo_settings, longest.collection))
    assert [t.strip() for t in served.itertext() if t.strip()] == \
        [t.strip() for t in original.itertext() if t.strip()]
    assert longest_text in [t.strip() for t in served.itertext()]


def test_long_product_texts_are_searched_in_the_archive(postgis: None, csw: Client,
                                                        csw_app: CswApp) -> None:
    """Product records carry their collection's long texts; the search runs on PostGIS."""
    catalogue = csw_app.catalogue
    stats = catalogue.store.collection_stats()
    facts = max((f for f in catalogue.series if f.identifier in stats),
                key=lambda f: len(f.product_abstract))
    phrase = _clean(facts.collection.abstract[-80:])
    response = csw.post("/", data=_like(phrase, _type("dataset")),
                        content_type="application/xml")
    assert response.status_code == 200, response.get_data()[:500]
    root = assert_valid(response.get_data())
    results = root.find("csw:SearchResults", NS)
    assert int(results.get("numberOfRecordsMatched")) == stats[facts.identifier].count
