"""pystac-client against the whole platform served on 127.0.0.1 (waitress, composed app)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pystac_client import Client
from pystac_client.conformance import ConformanceClasses
from pystac_client.stac_api_io import StacApiIO
from shapely.geometry import box

from ogc_server.archive.query import ProductQuery, Range
from ogc_server.services import Services
from tests.conftest import DEMO_PRODUCTS

pytestmark = pytest.mark.system

S2 = ["EOP:CODE-DE:S2_MSI_L1C", "EOP:CODE-DE:S2_MSI_L2A"]
S1_GRD = "EOP:CODE-DE:S1_SAR_L1_GRD"


@pytest.fixture
def client(stac_url: str) -> Iterator[Client]:
    """A pystac-client Client; any warning (e.g. a missing conformance class) fails the test.

    Its HTTP session is closed afterwards: kept-alive connections would hold the server open.
    """
    stac_io = StacApiIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield Client.open(stac_url, stac_io=stac_io)
    stac_io.session.close()


def _count(services: Services, **query) -> int:
    total = services.store.query(ProductQuery(limit=0, **query)).total
    assert total is not None
    return total


def test_conformance_as_pystac_client_sees_it(client: Client) -> None:
    for conformance in (ConformanceClasses.CORE, ConformanceClasses.COLLECTIONS,
                        ConformanceClasses.FEATURES, ConformanceClasses.ITEM_SEARCH,
                        ConformanceClasses.FIELDS, ConformanceClasses.SORT,
                        ConformanceClasses.QUERY, ConformanceClasses.FILTER):
        assert client.conforms_to(conformance), conformance


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_search_pages_through_every_item_once(client: Client, demo_services: Services,
                                              method: str) -> None:
    search = client.search(collections=S2, bbox=[-30, -60, 160, 80],
                           datetime="2023-01-01T00:00:00Z/2026-12-31T23:59:59Z", limit=2,
                           max_items=None, method=method)
    expected = _count(demo_services, collections=S2, geometry=box(-30, -60, 160, 80),
                      start=datetime(2023, 1, 1, tzinfo=UTC),
                      end=datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert expected > 4
    assert search.matched() == expected
    ids = [item.id for item in search.items()]
    assert len(ids) == len(set(ids)) == expected
    assert all(item_id.startswith("S2") for item_id in ids)


def test_everything_and_max_items(client: Client) -> None:
    assert client.search(max_items=None, limit=10).matched() == DEMO_PRODUCTS
    assert len(list(client.search(max_items=5, limit=2).items())) == 5


def test_cql2_filters(client: Client, demo_services: Services) -> None:
    expected = _count(demo_services, where={"cloud_cover": Range(None, 20)})
    text = client.search(filter="eo:cloud_cover <= 20", filter_lang="cql2-text", method="GET",
                         max_items=None)
    json_ = client.search(filter={"op": "<=", "args": [{"property": "eo:cloud_cover"}, 20]},
                          filter_lang="cql2-json", max_items=None)
    assert text.matched() == json_.matched() == expected > 0
    assert sorted(i.id for i in text.items()) == sorted(i.id for i in json_.items())
    for item in json_.items():
        assert item.properties["eo:cloud_cover"] <= 20


def test_sort_fields_and_query(client: Client) -> None:
    search = client.search(collections=S2, sortby="-properties.eo:cloud_cover",
                           fields=["id", "properties.eo:cloud_cover"], max_items=None)
    clouds = [item.properties["eo:cloud_cover"] for item in search.items()]
    assert clouds == sorted(clouds, reverse=True)
    query = client.search(query=["eo:cloud_cover<30", "platform=sentinel-2b"], max_items=None)
    for item in query.items():
        assert item.properties["platform"] == "sentinel-2b"
        assert item.properties["eo:cloud_cover"] < 30


def test_collections_items_and_queryables(client: Client, demo_services: Services) -> None:
    collections = {c.id: c for c in client.get_collections()}
    assert len(collections) == 11
    grd = client.get_collection(S1_GRD)
    assert grd.extent.temporal.intervals[0][0] is not None
    items = list(grd.get_items())
    assert len(items) == _count(demo_services, collections=[S1_GRD])
    first = grd.get_item(items[0].id)
    assert first is not None and first.properties["sar:frequency_band"] == "C"
    assert first.assets["download"].extra_fields["file:checksum"].startswith("1220")
    queryables = client.get_merged_queryables([S1_GRD])
    assert "sar:instrument_mode" in queryables["properties"]
