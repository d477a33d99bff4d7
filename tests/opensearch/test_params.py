"""Parsing of the OpenSearch parameters (pure: no app, no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
import shapely

from ogc_server.archive.query import Like, Range
from ogc_server.errors import InvalidQuery
from ogc_server.web.opensearch import geometry, ranges
from ogc_server.web.opensearch.params import MAX_COUNT, format_key, parse


def one(name: str, value: str):  # noqa: ANN201 - the parsed request
    return parse([(name, value)])


def fails(pairs: list[tuple[str, str]], locator: str) -> InvalidQuery:
    with pytest.raises(InvalidQuery) as caught:
        parse(pairs)
    assert caught.value.locator == locator, caught.value
    return caught.value


# The range syntax ---------------------------------------------------------------------------

NUMBER_FORMS = [
    ("10", 10.0),
    ("[10,20]", Range(10.0, 20.0, True, True)),
    ("]10,20[", Range(10.0, 20.0, False, False)),
    ("[10,20[", Range(10.0, 20.0, True, False)),
    ("]10,20]", Range(10.0, 20.0, False, True)),
    ("[10", Range(low=10.0, low_inclusive=True)),
    ("]10", Range(low=10.0, low_inclusive=False)),
    ("20]", Range(high=20.0, high_inclusive=True)),
    ("20[", Range(high=20.0, high_inclusive=False)),
    ("{10,20,30}", [10.0, 20.0, 30.0]),
    ("[ 0 , 40.5 ]", Range(0.0, 40.5, True, True)),
]


@pytest.mark.parametrize(("text", "expected"), NUMBER_FORMS)
@pytest.mark.parametrize("encode", [False, True], ids=["raw", "percent-encoded"])
def test_every_range_form_raw_and_percent_encoded(text: str, expected: object,
                                                   encode: bool) -> None:
    value = quote(text, safe="") if encode else text
    request = one("cloudCover", value)
    assert request.query.where["cloud_cover"] == expected


def test_percent_encoding_as_the_query_string_carries_it() -> None:
    # cloudCover=%5B0,40%5D in a URL arrives decoded once; double encoding is decoded again
    assert one("cloudCover", "[0,40]").query.where["cloud_cover"] == Range(0.0, 40.0)
    assert one("cloudCover", "%5B0%2C40%5D").query.where["cloud_cover"] == Range(0.0, 40.0)
    fails([("cloudCover", "%255B0")], "cloudCover")  # decoded once more only: "%5B0"


def test_integer_ranges() -> None:
    assert one("orbitNumber", "[100,200]").query.where["orbit_number"] == Range(100, 200)
    assert one("relativeOrbitNumber", "{8,108}").query.where["relative_orbit_number"] == [8, 108]
    fails([("orbitNumber", "10.5")], "orbitNumber")
    fails([("orbitNumber", "99999999999")], "orbitNumber")


@pytest.mark.parametrize("text", ["[40,0]", "[0,", "[0,40", "abc", "[a,b]", "{}", "{1,,2}",
                                  "nan", "inf", "-1", "101", "[0,101]", "1e400", "]0,[",
                                  "' OR 1=1 --", "<script>alert(1)</script>"])
def test_bad_numeric_values_name_the_parameter(text: str) -> None:
    fails([("cloudCover", text)], "cloudCover")


def test_a_set_has_a_size_limit() -> None:
    fails([("orbitNumber", "{" + ",".join(str(i) for i in range(101)) + "}")], "orbitNumber")


# Dates ----------------------------------------------------------------------------------------


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_dates_and_date_times_are_utc() -> None:
    assert ranges.moment("d", "2020-01-02") == utc(2020, 1, 2)
    assert ranges.moment("d", "2020-01-02T10:11:12") == utc(2020, 1, 2, 10, 11, 12)
    assert ranges.moment("d", "2020-01-02T10:11:12Z") == utc(2020, 1, 2, 10, 11, 12)
    assert ranges.moment("d", "2020-01-02T12:11:12+02:00") == utc(2020, 1, 2, 10, 11, 12)
    assert ranges.moment("d", "2020-01-02T10:11:12.123456789Z") == utc(2020, 1, 2, 10, 11, 12,
                                                                         123456)
    assert ranges.moment("d", "2020-01-02T10:11") == utc(2020, 1, 2, 10, 11)
    assert ranges.moment("d", "2020-01-02", end_of_day=True) == utc(2020, 1, 2, 23, 59, 59,
                                                                     999999)


@pytest.mark.parametrize("text", ["2020-13-01", "2020-02-30", "yesterday", "20200101",
                                  "2020-01-01T25:00:00Z", "2020-01-01T10:00:00+25:00", "1e10"])
def test_bad_dates_name_the_parameter(text: str) -> None:
    fails([("startDate", text)], "startDate")
    fails([("creationDate", text)], "creationDate")


def test_start_and_end_dates_make_the_time_window() -> None:
    query = parse([("startDate", "2020-01-01"), ("endDate", "2020-01-31")]).query
    assert query.start == utc(2020, 1, 1)
    assert query.end == utc(2020, 1, 31, 23, 59, 59, 999999)  # a date is its whole day
    assert query.time_relation == "intersects"
    query = parse([("startDate", "2020-01-01T10:00:00Z"), ("timerelation", "during")]).query
    assert query.start == utc(2020, 1, 1, 10) and query.time_relation == "during"
    fails([("startDate", "2020-02-01"), ("endDate", "2020-01-01")], "startDate")
    fails([("timerelation", "overlaps")], "timerelation")


def test_date_ranges_treat_a_date_as_its_whole_day() -> None:
    day_end = utc(2020, 1, 31, 23, 59, 59, 999999)
    assert one("creationDate", "[2020-01-01,2020-01-31]").query.where["creation_date"] == \
        Range(utc(2020, 1, 1), day_end, True, True)
    assert one("creationDate", "2020-01-31[").query.where["creation_date"] == \
        Range(high=utc(2020, 1, 31), high_inclusive=False)
    assert one("creationDate", "]2020-01-01").query.where["creation_date"] == \
        Range(low=utc(2020, 1, 1, 23, 59, 59, 999999), low_inclusive=False)
    assert one("creationDate", "2020-01-05").query.where["creation_date"] == \
        Range(utc(2020, 1, 5), utc(2020, 1, 5, 23, 59, 59, 999999))
    assert one("modificationDate", quote("[2020-01-01T00:00:00Z,2020-01-02T00:00:00Z[",
                                         safe="")).query.where["modification_date"] == \
        Range(utc(2020, 1, 1), utc(2020, 1, 2), True, False)
    assert one("startDate", "[2020-01-01,2020-02-01]").query.where["start"].low == \
        utc(2020, 1, 1)
    fails([("creationDate", "[2020-02-01,2020-01-01]")], "creationDate")


# Space ----------------------------------------------------------------------------------------


def test_bbox() -> None:
    area = one("bbox", "6.96,50.9,8.02,51.2").query.geometry
    assert area.bounds == (6.96, 50.9, 8.02, 51.2)
    across = one("bbox", "170,-10,-170,10").query.geometry
    assert across.geom_type == "MultiPolygon"  # split at the antimeridian
    assert one("bbox", quote("6,50,8,52", safe="")).query.geometry.bounds == (6, 50, 8, 52)


@pytest.mark.parametrize("text", ["1,2,3", "1,2,3,4,5", "a,b,c,d", "0,95,10,96", "0,10,10,5",
                                  "-181,0,0,1", "nan,0,1,1", "' OR 1=1 --"])
def test_bad_bbox_names_bbox(text: str) -> None:
    fails([("bbox", text)], "bbox")


def test_wkt_geometry() -> None:
    query = one("geometry", "POLYGON((7 50,8 50,8 51,7 51,7 50))").query
    assert query.geometry.area == pytest.approx(1.0)
    assert one("geometry", "point(7 50)").query.geometry.geom_type == "Point"
    assert one("geometry", "POINT Z (7 50 3)").query.geometry.has_z is False
    assert one("relation", "within").query.spatial_relation == "within"
    fails([("relation", "touches")], "relation")


@pytest.mark.parametrize("text", [
    "POLYGON((7 50,8 50,8 51))", "POLYGON((0 0,1 1,1 0,0 1,0 0))", "POLYGON((7 50,8 50",
    "GEOMETRYCOLLECTION(POINT(1 1))", "POINT(200 0)", "POINT EMPTY", "'; DROP TABLE products",
    "<script>alert(1)</script>",
])
def test_bad_wkt_names_geometry(text: str) -> None:
    fails([("geometry", text)], "geometry")


def test_geometry_vertex_limit() -> None:
    ring = [(i * 0.0001, 0.0) for i in range(geometry.MAX_VERTICES)] + [(0.5, 1.0), (0.0, 0.0)]
    text = "POLYGON((" + ",".join(f"{x} {y}" for x, y in ring) + "))"
    fails([("geometry", text)], "geometry")
    small = "LINESTRING(" + ",".join(f"{i * 0.001} 0" for i in range(5000)) + ")"
    assert shapely.get_num_coordinates(one("geometry", small).query.geometry) == 5000


def test_point_and_radius() -> None:
    circle = parse([("lat", "50"), ("lon", "7"), ("radius", "10000")]).query.geometry
    assert circle.centroid.x == pytest.approx(7, abs=1e-6)
    assert circle.bounds[3] - circle.bounds[1] == pytest.approx(2 * 10000 / 111320, rel=1e-3)
    point = parse([("lat", "50"), ("lon", "7")]).query.geometry
    assert point.geom_type == "Point"
    wrapped = parse([("lat", "0"), ("lon", "179.99"), ("radius", "50000")]).query.geometry
    assert wrapped.geom_type == "MultiPolygon" and wrapped.bounds[0] == -180
    polar = parse([("lat", "89.9"), ("lon", "0"), ("radius", "50000")]).query.geometry
    assert polar.bounds[0] == -180 and polar.bounds[3] == 90


@pytest.mark.parametrize(("pairs", "locator"), [
    ([("radius", "1000")], "radius"),
    ([("lat", "50"), ("radius", "1000")], "lon"),
    ([("lon", "7")], "lat"),
    ([("lat", "91"), ("lon", "7")], "lat"),
    ([("lat", "50"), ("lon", "7"), ("radius", "0")], "radius"),
    ([("lat", "50"), ("lon", "7"), ("radius", "-5")], "radius"),
    ([("lat", "50"), ("lon", "7"), ("radius", "1e9")], "radius"),
    ([("lat", "x"), ("lon", "7")], "lat"),
    ([("bbox", "6,50,8,52"), ("geometry", "POINT(7 51)")], "geometry"),
])
def test_bad_point_radius(pairs: list[tuple[str, str]], locator: str) -> None:
    fails(pairs, locator)


# Paging, sorting, formats -----------------------------------------------------------------


def test_paging() -> None:
    request = parse([])
    assert (request.count, request.offset, request.start_index) == (50, 0, 1)
    request = parse([("maximumRecords", "10"), ("startRecord", "21")])
    assert (request.count, request.offset, request.query.limit) == (10, 20, 10)
    request = parse([("maximumRecords", "10"), ("startPage", "3")])
    assert request.offset == 20
    assert parse([("maximumRecords", str(MAX_COUNT))]).count == MAX_COUNT
    assert parse([("maximumRecords", "0")]).count == 0
    assert parse([("maxRecords", "7")]).count == 7  # resto's name


@pytest.mark.parametrize(("pairs", "locator"), [
    ([("maximumRecords", "501")], "maximumRecords"),
    ([("maximumRecords", "-1")], "maximumRecords"),
    ([("maximumRecords", "ten")], "maximumRecords"),
    ([("startRecord", "0")], "startRecord"),
    ([("startRecord", "1.5")], "startRecord"),
    ([("startPage", "0")], "startPage"),
    ([("startPage", "99999999"), ("maximumRecords", "500")], "startPage"),
])
def test_bad_paging(pairs: list[tuple[str, str]], locator: str) -> None:
    fails(pairs, locator)


def test_sorting() -> None:
    assert parse([]).query.sort == [("start", False)]
    assert parse([("sortKeys", "startDate,,0")]).query.sort == [("start", False)]
    assert parse([("sortKeys", "cloudCover,,1 startDate,,0")]).query.sort == [
        ("cloud_cover", True), ("start", False)]
    assert parse([("sortBy", "cloudCover")]).query.sort == [("cloud_cover", True)]
    assert parse([("sortBy", "endDate"), ("sortDir", "desc")]).query.sort == [("end", False)]
    fails([("sortKeys", "footprint,,1")], "sortKeys")
    fails([("sortKeys", "startDate,,2")], "sortKeys")
    fails([("sortBy", "1=1")], "sortBy")
    fails([("sortBy", "startDate"), ("sortDir", "sideways")], "sortDir")


@pytest.mark.parametrize(("value", "key"), [
    ("application/atom+xml", "atom"), ("application/geo+json", "geojson"),
    ("application/json", "geojson"), ("application/sru+xml", "sru"), ("ATOM", "atom"),
    ("application/gml+xml;profile=http://www.opengis.net/spec/EOMPOM/1.0", "om"),
])
def test_formats(value: str, key: str) -> None:
    assert format_key(value) == key
    assert parse([("httpAccept", value)]).fmt == key


def test_unknown_format_names_httpaccept() -> None:
    fails([("httpAccept", "text/html")], "httpAccept")
    fails([("recordSchema", "iso")], "recordSchema")


# Text parameters --------------------------------------------------------------------------


def test_text_values_are_normalised() -> None:
    where = parse([("platform", "S2A"), ("orbitDirection", "descending"),
                   ("polarisationChannels", "vv+vh"), ("tileId", "T32UNE"),
                   ("processingLevel", "l1c"), ("productType", "s2msi1c"),
                   ("instrument", "msi")]).query.where
    assert where == {"platform": "Sentinel-2", "platform_serial_identifier": "A",
                     "orbit_direction": "DESCENDING", "polarisation_channels": "VV, VH",
                     "tile_id": "32UNE", "processing_level": "Level-1C",
                     "product_type": "S2MSI1C", "instrument": "MSI"}
    assert one("platform", "sentinel-5p").query.where["platform"] == "Sentinel-5P"
    assert one("productType", "{S2MSI1C,S2MSI2A}").query.where["product_type"] == [
        "S2MSI1C", "S2MSI2A"]
    assert one("productType", "S2MSI*").query.where["product_type"] == Like("S2MSI*")
    assert one("sensorMode", "iw").query.where["sensor_mode"] == Like("iw")  # any case
    fails([("orbitDirection", "sideways")], "orbitDirection")
    fails([("antennaLookDirection", "UP")], "antennaLookDirection")
    fails([("tileId", "<script>")], "tileId")


def test_free_text_uid_and_parent() -> None:
    request = parse([("query", "S2A T32UNE"), ("parentIdentifier", "EOP:CODE-DE:S2_MSI_L1C"),
                     ("uid", "EOP:CODE-DE:S2_MSI_L1C:/S2A_MSIL1C_X")])
    assert request.query.text == "S2A T32UNE"
    assert request.parent == "EOP:CODE-DE:S2_MSI_L1C"
    assert list(request.query.collections) == ["EOP:CODE-DE:S2_MSI_L1C"]
    assert list(request.query.identifiers) == ["S2A_MSIL1C_X"]
    fails([("query", " ".join(["w"] * 17))], "query")


def test_injection_text_stays_a_value() -> None:
    request = parse([("productType", "' OR 1=1 --"), ("query", "<script>")])
    assert request.query.where["product_type"] == "' OR 1=1 --"
    assert request.query.text == "<script>"


@pytest.mark.parametrize("name", ["productType", "platform", "query", "uid", "bbox",
                                  "cloudCover", "parentIdentifier", "httpAccept"])
def test_long_values_and_control_characters_are_refused(name: str) -> None:
    fails([(name, "x" * (ranges.MAX_VALUE_LENGTH + 1))], name)
    fails([(name, "a\x00b")], name)
    fails([(name, "%00")], name)


def test_unknown_empty_and_repeated_parameters() -> None:
    request = parse([("foo", "bar"), ("bbox", ""), ("cloudCover", "10"), ("cloudCover", "20"),
                     ("completionDate", "2020-01-01")])
    assert request.query.geometry is None
    assert request.query.where["cloud_cover"] == 10.0  # the first wins
    assert request.query.end == utc(2020, 1, 1, 23, 59, 59, 999999)
    assert ("foo", "bar") not in request.terms
    assert request.terms == [("cloudCover", "10"), ("endDate", "2020-01-01")]
