"""Reading constraints (Filter 1.1, FES 2.0, CQL, KVP terms, SortBy) and the rules that make a
filter mean the same on collections and products. No database here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree
from pygeofilter import ast, values
from shapely.geometry import box

from plugins.pycsw_.constraints import (
    ConstraintError,
    axis_order,
    kvp_terms,
    parse_cql,
    sort_keys_kvp,
    sort_keys_xml,
)
from plugins.pycsw_.fes import parse_filter
from plugins.pycsw_.matching import evaluate, product_filter
from plugins.pycsw_.queryables import canonical_pattern, lookup, resolve

OGC = 'xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml"'
FES = 'xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2"'


def _filter(text: str) -> ast.Node:
    return parse_filter(etree.fromstring(text))


def _equal(name: str, value: str) -> str:
    return (f"<ogc:PropertyIsEqualTo><ogc:PropertyName>{name}</ogc:PropertyName>"
            f"<ogc:Literal>{value}</ogc:Literal></ogc:PropertyIsEqualTo>")


def test_and_takes_any_number_of_operands() -> None:
    node = _filter(f"<ogc:Filter {OGC}><ogc:And>{_equal('dc:type', 'a')}"
                   f"{_equal('dc:type', 'b')}{_equal('dc:type', 'c')}</ogc:And></ogc:Filter>")
    assert isinstance(node, ast.And) and isinstance(node.lhs, ast.And)


def test_feature_ids_select_identifiers() -> None:
    node = _filter(f'<ogc:Filter {OGC}><ogc:FeatureId fid="a"/><ogc:FeatureId fid="b"/>'
                   "</ogc:Filter>")
    assert node == ast.In(ast.Attribute("dc:identifier"), ["a", "b"], False)


@pytest.mark.parametrize(("srs", "expected"), [
    ("", (5.0, 47.0, 16.0, 55.0)),  # no srsName: EPSG:4326, latitude first
    (' srsName="urn:ogc:def:crs:EPSG::4326"', (5.0, 47.0, 16.0, 55.0)),
    (' srsName="http://www.opengis.net/def/crs/OGC/1.3/CRS84"', (47.0, 5.0, 55.0, 16.0)),
])
def test_envelope_axis_order(srs: str, expected: tuple[float, ...]) -> None:
    node = _filter(f"<ogc:Filter {OGC}><ogc:BBOX><ogc:PropertyName>ows:BoundingBox"
                   f"</ogc:PropertyName><gml:Envelope{srs}><gml:lowerCorner>47 5"
                   "</gml:lowerCorner><gml:upperCorner>55 16</gml:upperCorner></gml:Envelope>"
                   "</ogc:BBOX></ogc:Filter>")
    assert (node.minx, node.miny, node.maxx, node.maxy) == expected


def test_unsupported_crs_is_refused() -> None:
    with pytest.raises(ConstraintError, match="not supported"):
        axis_order("EPSG:3857")


def test_case_insensitive_equality_is_a_like() -> None:
    node = _filter(f'<ogc:Filter {OGC}><ogc:PropertyIsEqualTo matchCase="false">'
                   "<ogc:PropertyName>apiso:Platform</ogc:PropertyName><ogc:Literal>a*b"
                   "</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>")
    assert isinstance(node, ast.Like) and node.nocase
    resolved = resolve(node)
    assert evaluate(resolved, {"platform": "A*B"}) is True
    assert evaluate(resolved, {"platform": "AxB"}) is False


def test_fes2_temporal_period() -> None:
    node = _filter(f"<fes:Filter {FES}><fes:During><fes:ValueReference>apiso:TempExtent_begin"
                   '</fes:ValueReference><gml:TimePeriod gml:id="p"><gml:beginPosition>'
                   "2026-01-01</gml:beginPosition><gml:endPosition>2026-02-01T12:00:00Z"
                   "</gml:endPosition></gml:TimePeriod></fes:During></fes:Filter>")
    assert isinstance(node, ast.TimeDuring)
    assert node.rhs == values.Interval(datetime(2026, 1, 1, tzinfo=UTC),
                                       datetime(2026, 2, 1, 12, tzinfo=UTC))


def test_cql_keywords_in_any_case_and_negated_groups() -> None:
    node = parse_cql("not (dc:title like 'S2%' or apiso:CloudCover between 1 and 2) and "
                     "apiso:Modified > date('2024-01-01')")
    assert isinstance(node, ast.And) and isinstance(node.lhs, ast.Not)
    assert node.rhs.rhs == datetime(2024, 1, 1, tzinfo=UTC)


def test_kvp_terms() -> None:
    node = kvp_terms({"q": "radar", "bbox": "170,-10,-170,10", "time": "2026-01-01/.."})
    resolved = resolve(node)
    record = {"anytext": ["C-band radar"], "bbox": box(175, 0, 176, 1),
              "tempextent_begin": datetime(2026, 5, 1, tzinfo=UTC),
              "tempextent_end": datetime(2026, 5, 1, tzinfo=UTC)}
    assert evaluate(resolved, record) is True
    assert evaluate(resolved, {**record, "bbox": box(0, 0, 1, 1)}) is False


def test_sort_keys() -> None:
    assert sort_keys_kvp("apiso:Title:D,dc:identifier") == [("apiso:Title", False),
                                                            ("dc:identifier", True)]
    element = etree.fromstring(
        f"<ogc:SortBy {OGC}><ogc:SortProperty><ogc:PropertyName>apiso:CloudCover"
        "</ogc:PropertyName><ogc:SortOrder>DESC</ogc:SortOrder></ogc:SortProperty></ogc:SortBy>")
    assert sort_keys_xml(element) == [("apiso:CloudCover", False)]


def test_queryable_names() -> None:
    assert lookup("AnyText") is lookup("csw:AnyText") is lookup("apiso:anytext")
    assert lookup("dc:title") is lookup("apiso:Title")
    for name in ("gmd:title", "pycsw:Title", "/gmd:MD_Metadata", "title; DROP TABLE x"):
        with pytest.raises(ConstraintError):
            lookup(name)


def test_like_patterns() -> None:
    assert canonical_pattern("a%b_c\\%", "%", "_", "\\") == "a*b?c%"
    assert canonical_pattern("50*?", "%", "_", "\\") == "50\\*\\?"
    node = resolve(parse_cql("dc:title LIKE '50\\%%'"))
    assert evaluate(node, {"title": "50% cloud"}) is True
    assert evaluate(node, {"title": "500"}) is False


def test_three_valued_logic() -> None:
    node = resolve(parse_cql("NOT apiso:CloudCover < 40"))
    assert evaluate(node, {"cloudcover": None}) is None  # as SQL: unknown, not matched
    assert evaluate(node, {"cloudcover": 50.0}) is True
    anytext = resolve(parse_cql("NOT AnyText LIKE '%radar%'"))
    assert evaluate(anytext, {"anytext": ["optical", "MSI"]}) is True


def test_product_filter_folds_what_all_products_share() -> None:
    per_collection = {"A": {"sensortype": "RADAR"}, "B": {"sensortype": "OPTICAL"}}
    assert product_filter(resolve(parse_cql("dc:type = 'series'")), per_collection) is False
    assert product_filter(resolve(parse_cql("dc:type = 'dataset'")), per_collection) is True
    radar = product_filter(resolve(parse_cql("apiso:SensorType = 'RADAR'")), per_collection)
    assert radar == ast.In(ast.Attribute("collection"), ["A"], False)
    both = product_filter(resolve(parse_cql(
        "apiso:SensorType = 'RADAR' OR dc:type = 'dataset'")), per_collection)
    assert both is True
