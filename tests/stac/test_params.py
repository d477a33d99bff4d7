"""Parsing of STAC API parameters and filters (pure functions, no catalogue)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pygeofilter import ast

from ogc_server.errors import InvalidQuery
from ogc_server.web.stac import cql, params, translate
from ogc_server.web.stac.params import Fields
from ogc_server.web.stac.times import format_datetime
from tests.stac.conftest import TEST_COLLECTIONS


def _locator(call, *args, **kwargs) -> str | None:
    with pytest.raises(InvalidQuery) as info:
        call(*args, **kwargs)
    return info.value.locator


# bbox, intersects ---------------------------------------------------------------------------


def test_bbox_text_list_and_3d() -> None:
    assert params.parse_bbox("5,45,16,56") == (5, 45, 16, 56)
    assert params.parse_bbox([5, 45.5, 16, 56]) == (5, 45.5, 16, 56)
    assert params.parse_bbox("5,45,0,16,56,100") == (5, 45, 16, 56)
    assert params.parse_bbox("170,-10,-170,10") == (170, -10, -170, 10)  # antimeridian


@pytest.mark.parametrize("value", [
    "1,2,3", "1,2,3,4,5", "a,2,3,4", "nan,2,3,4", "inf,2,3,4", "0,50,1,40", "0,-91,1,0",
    "-181,0,1,1", "0,0,181,1", "", [1, 2, "x", 4], [1, 2, True, 4], {"west": 1}, "1;2;3;4",
])
def test_bad_bbox(value) -> None:
    assert _locator(params.parse_bbox, value) == "bbox"


def test_intersects() -> None:
    polygon = {"type": "Polygon", "coordinates": [[[5, 45], [16, 45], [16, 56], [5, 45]]]}
    assert params.parse_intersects(polygon).bounds == (5, 45, 16, 56)
    point = params.parse_intersects({"type": "Point", "coordinates": [10, 50, 100]})
    assert point.geom_type == "Point"
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
    assert params.parse_intersects(bowtie).is_valid  # repaired, not refused


@pytest.mark.parametrize("value", [
    "POLYGON((0 0,1 0,1 1,0 0))",
    {"type": "Feature", "geometry": None},
    {"type": "Polygon"},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]},
    {"type": "Point", "coordinates": [200, 0]},
    {"type": "Point", "coordinates": ["a", 0]},
    {"type": "Point", "coordinates": [1]},
    {"type": "Point", "coordinates": [float("nan"), 0]},
    {"type": "GeometryCollection"},
    {"type": "Polygon", "coordinates": [[[[[[[[[0]]]]]]]]]},
])
def test_bad_intersects(value) -> None:
    assert _locator(params.parse_intersects, value) == "intersects"


def test_intersects_vertex_limit() -> None:
    ring = [[i * 1e-4, 0.0] for i in range(10_001)] + [[0.5, 0.5], [0.0, 0.0]]
    message = pytest.raises(InvalidQuery, params.parse_intersects,
                            {"type": "Polygon", "coordinates": [ring]})
    assert "vertices" in str(message.value) and message.value.locator == "intersects"


def test_bbox_and_intersects_are_exclusive() -> None:
    body = {"bbox": [0, 0, 1, 1], "intersects": {"type": "Point", "coordinates": [0, 0]}}
    assert _locator(params.from_body, body) == "intersects"


# datetime --------------------------------------------------------------------------------------


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("text,expected", [
    ("2026-10-19T08:30:19Z", (_utc(2026, 10, 19, 8, 30, 19), _utc(2026, 10, 19, 8, 30, 19))),
    ("2026-10-19t08:30:19.5z", (_utc(2026, 10, 19, 8, 30, 19, 500000),) * 2),
    ("2026-10-19T10:30:19+02:00", (_utc(2026, 10, 19, 8, 30, 19),) * 2),
    ("2026-10-19", (_utc(2026, 10, 19), _utc(2026, 10, 19, 23, 59, 59, 999999))),
    ("2026-01-01T00:00:00Z/2026-02-01T00:00:00Z", (_utc(2026, 1, 1), _utc(2026, 2, 1))),
    ("2026-01-01T00:00:00Z/..", (_utc(2026, 1, 1), None)),
    ("../2026-02-01", (None, _utc(2026, 2, 1, 23, 59, 59, 999999))),
    ("/2026-02-01T00:00:00Z", (None, _utc(2026, 2, 1))),
    ("2026-01-01T00:00:00Z/", (_utc(2026, 1, 1), None)),
])
def test_datetime(text: str, expected) -> None:
    assert params.parse_datetime(text) == expected


@pytest.mark.parametrize("text", [
    "yesterday", "2026-13-01", "2026-02-30T00:00:00Z", "2026-01-01T25:00:00Z",
    "2026-01-01T00:00:00", "2026-01-01T00:00:00+0100", "../..", "/", "a/b/c",
    "2026-02-01T00:00:00Z/2026-01-01T00:00:00Z", "2026-01-01T00:00:60Z", "1' OR '1'='1",
])
def test_bad_datetime(text: str) -> None:
    assert _locator(params.parse_datetime, text) == "datetime"


def test_format_datetime() -> None:
    assert format_datetime(_utc(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"
    assert format_datetime(_utc(2026, 1, 2, 3, 4, 5, 120)) == "2026-01-02T03:04:05.000120Z"


# limit, paging, lists ------------------------------------------------------------------------


def test_limit() -> None:
    assert params.parse_limit(None) == params.DEFAULT_LIMIT == 10
    assert params.parse_limit("25") == 25
    assert params.parse_limit(5000) == params.MAX_LIMIT  # lowered, as OGC API Features says


@pytest.mark.parametrize("value", ["0", 0, "-3", "ten", "1.5", 2.0, True, [1]])
def test_bad_limit(value) -> None:
    assert _locator(params.parse_limit, value) == "limit"


def test_paging() -> None:
    assert params.parse_offset("next:30") == 30
    assert params.parse_offset("prev:0") == 0
    assert params.parse_offset(None, "7") == 7
    assert params.parse_offset(None, None) == 0
    assert _locator(params.parse_offset, "next:-1") == "token"
    assert _locator(params.parse_offset, "30") == "token"
    assert _locator(params.parse_offset, "next:1; DROP TABLE products") == "token"
    assert _locator(params.parse_offset, None, "-5") == "offset"


def test_lists() -> None:
    assert params.parse_list("a, b,,a", "ids") == ["a", "b"]
    assert params.parse_list(["x", "y"], "collections") == ["x", "y"]
    assert _locator(params.parse_list, [1, 2], "ids") == "ids"
    assert _locator(params.parse_list, ",".join(map(str, range(1001))), "ids") == "ids"


def test_sortby() -> None:
    assert params.parse_sortby("-eo:cloud_cover, datetime") == [("eo:cloud_cover", False),
                                                                ("datetime", True)]
    assert params.parse_sortby(" datetime") == [("datetime", True)]  # an unencoded "+"
    assert params.parse_sortby([{"field": "id", "direction": "desc"}]) == [("id", False)]
    assert _locator(params.parse_sortby, [{"field": "id", "direction": "up"}]) == "sortby"
    assert _locator(params.parse_sortby, "id,,datetime") == "sortby"
    assert _locator(params.parse_sortby, 42) == "sortby"


def test_fields() -> None:
    assert params.parse_fields("id,-geometry,+properties.eo:cloud_cover") == Fields(
        ("id", "properties.eo:cloud_cover"), ("geometry",))
    assert params.parse_fields({"include": ["id"], "exclude": ["assets"]}) == Fields(
        ("id",), ("assets",))
    assert params.parse_fields("") == Fields()
    assert _locator(params.parse_fields, {"include": "id"}) == "fields"


# Filters --------------------------------------------------------------------------------------


def test_cql2_text_and_json_parse_alike() -> None:
    text = cql.parse_filter("eo:cloud_cover < 10 AND platform = 'sentinel-2a'", "cql2-text")
    json_ = cql.parse_filter({"op": "and", "args": [
        {"op": "<", "args": [{"property": "eo:cloud_cover"}, 10]},
        {"op": "=", "args": [{"property": "platform"}, "sentinel-2a"]}]}, "cql2-json")
    assert text == json_


def test_cql2_text_precedence_not_and_quotes() -> None:
    a, b, c = (ast.Equal(ast.Attribute("id"), v) for v in ("a", "b", "it's"))
    assert cql.parse_filter("id = 'a' OR id = 'b' AND id = 'it''s'", "cql2-text") == ast.Or(
        a, ast.And(b, c))  # AND binds tighter than OR
    assert cql.parse_filter("(id = 'a' OR id = 'b') AND id = 'it''s'", "cql2-text") == \
        ast.And(ast.Or(a, b), c)
    assert cql.parse_filter("NOT (id = 'a' OR id = 'b')", "cql2-text") == ast.Not(ast.Or(a, b))


def test_cql2_text_temporal_functions_are_understood() -> None:
    node = cql.parse_filter(
        "T_INTERSECTS(datetime, INTERVAL('2026-01-01', '..')) AND id <> 'T_AFTER(a, b)'",
        "cql2-text")
    assert isinstance(node.lhs, ast.TimeOverlaps)
    assert node.lhs.rhs.start == _utc(2026, 1, 1) and node.lhs.rhs.end.year == 9999
    assert node.rhs.rhs == "T_AFTER(a, b)"


@pytest.mark.parametrize("expression,lang,locator", [
    ("eo:cloud_cover <", "cql2-text", "filter"),
    ("id = 'x' OR 1=1 --", "cql2-text", "filter"),
    ({"op": "nope", "args": []}, "cql2-json", "filter"),
    ("not json", "cql2-json", "filter"),
    ({"op": "="}, "cql2-json", "filter"),
    ("id = 'x'", "sql", "filter-lang"),
    ("x" * 70_000, "cql2-text", "filter"),
    (" OR ".join(["datetime > TIMESTAMP('2020-01-01T00:00:00Z')"] * 101), "cql2-text",
     "filter"),
    ({"op": "or", "args": [{"op": "=", "args": [{"property": "created"},
                                                {"timestamp": "2020-01-01T00:00:00Z"}]}] * 101},
     "cql2-json", "filter"),
    ({"op": "or", "args": [{"op": "=", "args": [{"property": "id"}, "a"]}] * 1000},
     "cql2-json", "filter"),
])
def test_bad_filters(expression, lang: str, locator: str) -> None:
    assert _locator(cql.parse_filter, expression, lang) == locator


def test_filter_crs_is_crs84_only() -> None:
    crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert cql.parse_filter("id = 'a'", "cql2-text", crs84) is not None
    assert _locator(cql.parse_filter, "id = 'a'", "cql2-text",
                    "http://www.opengis.net/def/crs/EPSG/0/3857") == "filter-crs"


def test_deeply_nested_filter_is_refused() -> None:
    node: dict = {"op": "=", "args": [{"property": "id"}, "a"]}
    for _ in range(3000):
        node = {"op": "not", "args": [node]}
    assert _locator(cql.parse_filter, node, "cql2-json") == "filter"


def test_query_extension() -> None:
    cloud = ast.Attribute("eo:cloud_cover")
    assert cql.parse_query({"eo:cloud_cover": {"gte": 5, "lt": 10}}) == ast.And(
        ast.GreaterEqual(cloud, 5), ast.LessThan(cloud, 10))
    assert cql.parse_query({"id": {"startsWith": "S2_"}}) == ast.Like(
        ast.Attribute("id"), "S2\\_%", False, "%", "_", "\\", False)  # "_" is literal
    assert cql.parse_query({"platform": {"in": ["sentinel-2a"]}}) == ast.In(
        ast.Attribute("platform"), ["sentinel-2a"], False)
    for bad in ({"id": {"like": "x"}}, {"id": "x"}, {"id": {"in": "x"}}, ["id"],
                {"id": {"eq": [1]}}, {"id": {"startsWith": 5}}, {"id": {}}):
        assert _locator(cql.parse_query, bad) == "query"


# Translation to catalogue terms ----------------------------------------------------------------


def _translate(text: str):
    return translate.to_catalogue(cql.parse_filter(text, "cql2-text"), TEST_COLLECTIONS)


def test_translation_of_direct_properties() -> None:
    node = _translate("sat:orbit_state = 'descending' AND processing:level LIKE 'L2%' "
                      "AND grid:code = 'MGRS-32UPU' AND eo:cloud_cover <= 5")
    text = repr(node)
    for fragment in ("ATTRIBUTE orbit_direction, rhs='DESCENDING'", "pattern='Level-2%'",
                     "ATTRIBUTE tile_id, rhs='32UPU'", "ATTRIBUTE cloud_cover, rhs=5"):
        assert fragment in text, text


def test_translation_of_derived_properties() -> None:
    node = _translate("platform = 'sentinel-2b'")
    assert repr(node) == repr(ast.And(ast.Equal(ast.Attribute("platform"), "Sentinel-2"),
                                      ast.In(ast.Attribute("platform_serial_identifier"),
                                             ["B"], False)))
    node = _translate("instruments = 'olci'")
    assert node == ast.In(ast.Attribute("instrument"), ["OLCI", "SYNERGY"], False)
    node = _translate("constellation LIKE 'sentinel-1%'")
    assert node == ast.In(ast.Attribute("platform"), ["Sentinel-1"], False)
    assert _translate("platform = 'landsat-8'") == ast.Include(not_=True)
    assert _translate("platform IS NULL") == ast.Include(not_=True)
    array = translate.to_catalogue(cql.parse_filter(
        {"op": "a_contains", "args": [{"property": "instruments"}, ["olci", "slstr"]]},
        "cql2-json"), TEST_COLLECTIONS)
    assert array == ast.In(ast.Attribute("instrument"), ["SYNERGY"], False)


def test_translation_of_temporal_operators() -> None:
    node = _translate("T_MEETS(datetime, INTERVAL('2026-01-01T00:00:00Z', "
                      "'2026-01-02T00:00:00Z'))")
    assert node == ast.Equal(ast.Attribute("end"), _utc(2026, 1, 1))
    node = _translate("T_BEFORE(created, DATE('2026-01-01'))")
    assert isinstance(node, ast.TimeBefore) and node.lhs == ast.Attribute("creation_date")
    unbounded = {"interval": ["..", ".."]}
    for op, expected in (("t_intersects", False), ("t_during", False), ("t_equals", True)):
        node = translate.to_catalogue(cql.parse_filter({"op": op, "args": [
            {"property": "datetime"}, unbounded]}, "cql2-json"), TEST_COLLECTIONS)
        assert node == ast.Include(not_=expected), op
    interval = "INTERVAL('2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z')"
    disjoint = cql.parse_filter(f"T_DISJOINT(datetime, {interval})", "cql2-text")
    assert disjoint == ast.Not(cql.parse_filter(f"T_INTERSECTS(datetime, {interval})",
                                                "cql2-text"))
    assert cql.parse_filter({"op": "t_disjoint", "args": [{"property": "datetime"}, {
        "interval": ["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"]}]}, "cql2-json") == \
        disjoint
    node = _translate("datetime >= '2026-01-01T00:00:00Z'")
    assert node == ast.GreaterEqual(ast.Attribute("start"), _utc(2026, 1, 1))


@pytest.mark.parametrize("text", [
    "foo = 1", "eo:cloud_cover = 'high'", "id = 5", "datetime = 'yesterday'",
    "geometry = 'x'", "eo:cloud_cover LIKE '1%'", "T_BEFORE(eo:cloud_cover, DATE('2026-01-01'))",
    "eo:cloud_cover = gsd", "S_INTERSECTS(id, POINT(1 2))", "upper(id) = 'A'",
])
def test_bad_translations(text: str) -> None:
    assert _locator(_translate, text) == "filter"


def test_filter_size_limits() -> None:
    assert _translate(" OR ".join(["id = 'a'"] * 100)) is not None
    assert _locator(_translate, " OR ".join(["id = 'a'"] * 1000)) == "filter"  # no recursion
    ring = [[i * 1e-4, 0.0] for i in range(12_000)] + [[0.0, 0.0]]
    big = cql.parse_filter({"op": "s_intersects", "args": [
        {"property": "geometry"}, {"type": "Polygon", "coordinates": [ring]}]}, "cql2-json")
    assert _locator(translate.to_catalogue, big, TEST_COLLECTIONS) == "filter"
    odd = cql.parse_filter({"op": "like", "args": [{"property": "id"}, 5]}, "cql2-json")
    assert _locator(translate.to_catalogue, odd, TEST_COLLECTIONS) == "filter"
