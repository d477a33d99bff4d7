"""The ISO 19139 / INSPIRE collection records in ``metadata/`` against the configuration.

Every collection of ``config/ogc-server.yml`` names a record; each record must be valid ISO 19139
(gmd + gmx, offline schemas in ``tests/schemas/``) and carry the INSPIRE elements the catalogue
and the INSPIRE validator look for, consistent with the collection's configuration.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path

import pytest
import yaml
from lxml import etree

from tests.xmlvalidate import GMD, ISO_METADATA, SCHEMA_ROOT, errors, validate

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "ogc-server.yml"
METADATA = ROOT / "metadata"
ISO_CODELISTS = SCHEMA_ROOT / "ogc/iso/19139/20070417/resources/codelist/gmxCodelists.xml"

NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "gml": "http://www.opengis.net/gml/3.2",
    "xlink": "http://www.w3.org/1999/xlink",
}
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
ID = "gmd:identificationInfo/gmd:MD_DataIdentification"

GEMET_THEMES_TITLE = "GEMET - INSPIRE themes, version 1.0"
GEMET_THEMES_DATE = "2008-06-01"
#: The 34 INSPIRE spatial data themes (English names of the GEMET INSPIRE themes thesaurus) and
#: their codes in the INSPIRE theme register (http://inspire.ec.europa.eu/theme/<code>).
INSPIRE_THEMES = {
    "Coordinate reference systems": "rs", "Geographical grid systems": "gg",
    "Geographical names": "gn", "Administrative units": "au", "Addresses": "ad",
    "Cadastral parcels": "cp", "Transport networks": "tn", "Hydrography": "hy",
    "Protected sites": "ps", "Elevation": "el", "Land cover": "lc", "Orthoimagery": "oi",
    "Geology": "ge", "Statistical units": "su", "Buildings": "bu", "Soil": "so", "Land use": "lu",
    "Human health and safety": "hh", "Utility and governmental services": "us",
    "Environmental monitoring facilities": "ef", "Production and industrial facilities": "pf",
    "Agricultural and aquaculture facilities": "af",
    "Population distribution — demography": "pd",
    "Area management/restriction/regulation zones and reporting units": "am",
    "Natural risk zones": "nz", "Atmospheric conditions": "ac",
    "Meteorological geographical features": "mf", "Oceanographic geographical features": "of",
    "Sea regions": "sr", "Bio-geographical regions": "br", "Habitats and biotopes": "hb",
    "Species distribution": "sd", "Energy resources": "er", "Mineral resources": "mr",
}
LIMITATIONS = "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/"
PUBLIC = "{public_url}"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@cache
def config() -> dict:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def collections() -> list[dict]:
    return config()["collections"]


@cache
def record_tree(name: str) -> etree._Element:
    return etree.fromstring((METADATA / name).read_bytes(), _PARSER)


def text(node: etree._Element, path: str) -> str:
    """Text of the gco:CharacterString or gmx:Anchor under ``path`` (stripped, or '')."""
    found = node.find(path, NS)
    if found is None:
        return ""
    child = found.find("gco:CharacterString", NS)
    if child is None:
        child = found.find("gmx:Anchor", NS)
    value = child.text if child is not None else found.text
    return (value or "").strip()


def squash(value: str) -> str:
    return " ".join(value.split())


COLLECTIONS = collections()
IDS = [c["id"].rsplit(":", 1)[-1] for c in COLLECTIONS]
with_record = pytest.mark.parametrize("coll", COLLECTIONS, ids=IDS)


@pytest.fixture
def md(coll: dict) -> etree._Element:
    assert coll.get("metadata"), f"{coll['id']}: no metadata record named in the config"
    assert (METADATA / coll["metadata"]).is_file(), f"missing metadata/{coll['metadata']}"
    return record_tree(coll["metadata"])


def test_every_collection_names_a_distinct_record() -> None:
    names = [c.get("metadata") for c in COLLECTIONS]
    assert all(names), "every collection must name its record"
    assert len(set(names)) == len(names)
    missing = [n for n in names if not (METADATA / n).is_file()]
    assert not missing, f"records missing from metadata/: {missing}"


def test_no_record_without_a_collection() -> None:
    named = {c["metadata"] for c in COLLECTIONS}
    orphans = sorted(p.name for p in METADATA.glob("*.xml") if p.name not in named)
    assert not orphans, f"records no collection names: {orphans}"


@with_record
def test_record_is_valid_iso19139(coll: dict, md: etree._Element) -> None:
    validate(md, ISO_METADATA)


@with_record
def test_identification(coll: dict, md: etree._Element) -> None:
    assert md.tag == "{http://www.isotc211.org/2005/gmd}MD_Metadata"
    assert text(md, "gmd:fileIdentifier") == coll["id"]
    assert md.find("gmd:hierarchyLevel/gmd:MD_ScopeCode", NS).get("codeListValue") == "series"
    lang = md.find("gmd:language/gmd:LanguageCode", NS)
    assert (lang.get("codeList"), lang.get("codeListValue")) == (
        "http://www.loc.gov/standards/iso639-2/", "eng")
    charset = md.find("gmd:characterSet/gmd:MD_CharacterSetCode", NS)
    assert charset.get("codeListValue") == "utf8"
    date.fromisoformat(md.findtext("gmd:dateStamp/gco:Date", namespaces=NS))

    citation = md.find(f"{ID}/gmd:citation/gmd:CI_Citation", NS)
    assert text(citation, "gmd:title") == coll["title"]
    assert citation.findall("gmd:date/gmd:CI_Date", NS), "no citation date"
    ident = citation.find("gmd:identifier/gmd:RS_Identifier", NS)
    assert f"{text(ident, 'gmd:codeSpace')}:{text(ident, 'gmd:code')}" == coll["id"]
    abstract = squash(text(md, f"{ID}/gmd:abstract"))
    assert abstract.startswith(squash(coll["abstract"]))


@with_record
def test_responsible_parties(coll: dict, md: etree._Element) -> None:
    contact = config()["contact"]

    def parties(path: str) -> list[tuple[str, str, str]]:
        return [
            (
                text(p, "gmd:organisationName"),
                text(p, "gmd:contactInfo/gmd:CI_Contact/gmd:address/gmd:CI_Address/"
                        "gmd:electronicMailAddress"),
                p.find("gmd:role/gmd:CI_RoleCode", NS).get("codeListValue"),
            )
            for p in md.iterfind(path, NS)
        ]

    operator = (contact["organisation"], contact["email"])
    assert parties("gmd:contact/gmd:CI_ResponsibleParty") == [(*operator, "pointOfContact")]
    resource = parties(f"{ID}/gmd:pointOfContact/gmd:CI_ResponsibleParty")
    assert all(org and "@" in mail for org, mail, _ in resource)
    assert any(org.startswith("European Space Agency") and role == "originator"
               for org, _, role in resource)
    assert (*operator, "pointOfContact") in resource


@with_record
def test_inspire_theme_keywords(coll: dict, md: etree._Element) -> None:
    blocks = [
        kw for kw in md.iterfind(f"{ID}/gmd:descriptiveKeywords/gmd:MD_Keywords", NS)
        if text(kw, "gmd:thesaurusName/gmd:CI_Citation/gmd:title") == GEMET_THEMES_TITLE
    ]
    assert len(blocks) == 1, "one keyword block from the GEMET INSPIRE themes thesaurus"
    (block,) = blocks
    cited = block.find("gmd:thesaurusName/gmd:CI_Citation/gmd:date/gmd:CI_Date", NS)
    assert cited.findtext("gmd:date/gco:Date", namespaces=NS) == GEMET_THEMES_DATE
    assert cited.find("gmd:dateType/gmd:CI_DateTypeCode", NS).get("codeListValue") == (
        "publication")

    expected = [k for k in coll["keywords"] if k in INSPIRE_THEMES]
    assert expected, f"{coll['id']}: the config names no INSPIRE theme among its keywords"
    found = []
    for kw in block.iterfind("gmd:keyword", NS):
        anchor = kw.find("gmx:Anchor", NS)
        label = (anchor if anchor is not None else kw.find("gco:CharacterString", NS)).text
        assert label in INSPIRE_THEMES, f"not an INSPIRE theme: {label!r}"
        if anchor is not None:
            assert anchor.get(XLINK_HREF) == (
                f"http://inspire.ec.europa.eu/theme/{INSPIRE_THEMES[label]}")
        found.append(label)
    assert found == expected


@with_record
def test_free_keywords_cover_platform_and_instrument(coll: dict, md: etree._Element) -> None:
    words = {
        (k.text or "").strip()
        for k in md.iterfind(f"{ID}/gmd:descriptiveKeywords/gmd:MD_Keywords/gmd:keyword/*", NS)
    }
    assert {"Copernicus", coll["platform"]} <= words
    assert set(coll["product_types"]) <= words
    assert coll["instrument"] in words


@with_record
def test_constraints(coll: dict, md: etree._Element) -> None:
    legal = md.findall(f"{ID}/gmd:resourceConstraints/gmd:MD_LegalConstraints", NS)
    access = [c for c in legal if c.find("gmd:accessConstraints", NS) is not None]
    use = [c for c in legal if c.find("gmd:useConstraints", NS) is not None]
    assert len(access) == 1 and len(use) == 1
    assert access[0].find("gmd:accessConstraints/gmd:MD_RestrictionCode", NS).get(
        "codeListValue") == "otherRestrictions"
    hrefs = [a.get(XLINK_HREF) for a in access[0].iterfind("gmd:otherConstraints/gmx:Anchor", NS)]
    assert hrefs and all(h.startswith(LIMITATIONS) for h in hrefs)
    conditions = " ".join(
        (e.text or "") for e in use[0].iterfind("gmd:otherConstraints/*", NS))
    assert "Copernicus" in conditions


def kept_worldwide(coll: dict) -> bool:
    """Whether the rolling archive keeps products outside Europe (the "global" region)."""
    months = coll["retention"].get("global")
    return months is None or months > 0


@with_record
def test_extent(coll: dict, md: etree._Element) -> None:
    box = md.find(f"{ID}/gmd:extent/gmd:EX_Extent/gmd:geographicElement/"
                  "gmd:EX_GeographicBoundingBox", NS)
    assert box is not None, "no geographic bounding box"

    def value(name: str) -> float:
        return float(box.findtext(f"gmd:{name}/gco:Decimal", namespaces=NS))

    west, east = value("westBoundLongitude"), value("eastBoundLongitude")
    south, north = value("southBoundLatitude"), value("northBoundLatitude")
    assert -180 <= west < east <= 180 and -90 <= south < north <= 90
    if kept_worldwide(coll):
        assert (west, east, south, north) == (-180, 180, -90, 90)

    period = md.find(f"{ID}/gmd:extent/gmd:EX_Extent/gmd:temporalElement/gmd:EX_TemporalExtent/"
                     "gmd:extent/gml:TimePeriod", NS)
    assert period is not None, "no temporal extent"
    assert period.get("{http://www.opengis.net/gml/3.2}id")
    begin = period.findtext("gml:beginPosition", namespaces=NS).strip()
    assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", begin), f"begin {begin!r} is not a date"
    assert "2014-04" <= begin <= date.today().isoformat(), "begin before the first Sentinel"
    end = period.find("gml:endPosition", NS)
    assert end.get("indeterminatePosition") == "now"


@with_record
def test_online_resources(coll: dict, md: etree._Element) -> None:
    resources = md.findall("gmd:distributionInfo/gmd:MD_Distribution/gmd:transferOptions/"
                           "gmd:MD_DigitalTransferOptions/gmd:onLine/gmd:CI_OnlineResource", NS)
    by_url = {r.findtext("gmd:linkage/gmd:URL", namespaces=NS).strip(): r for r in resources}
    cid = coll["id"]
    assert f"{PUBLIC}/opensearch/description.xml?parentIdentifier={cid}" in by_url
    assert f"{PUBLIC}/wms?SERVICE=WMS&REQUEST=GetCapabilities" in by_url
    assert f"{PUBLIC}/stac/collections/{cid}" in by_url
    functions = set()
    for url, res in by_url.items():
        assert url.startswith(f"{PUBLIC}/"), f"{url}: not served by this platform"
        for element in ("protocol", "name", "description"):
            assert text(res, f"gmd:{element}"), f"{url}: no {element}"
        functions.add(res.find("gmd:function/gmd:CI_OnLineFunctionCode", NS).get("codeListValue"))
    assert {"search", "download"} <= functions


@with_record
def test_data_quality(coll: dict, md: etree._Element) -> None:
    quality = md.find("gmd:dataQualityInfo/gmd:DQ_DataQuality", NS)
    level = quality.find("gmd:scope/gmd:DQ_Scope/gmd:level/gmd:MD_ScopeCode", NS)
    assert level.get("codeListValue") == "series"
    result = quality.find(
        "gmd:report/gmd:DQ_DomainConsistency/gmd:result/gmd:DQ_ConformanceResult", NS)
    spec = text(result, "gmd:specification/gmd:CI_Citation/gmd:title")
    assert "1089/2010" in spec
    passed = result.find("gmd:pass", NS)
    # Not evaluated: INSPIRE wants an empty pass with nilReason "unknown", not a false claim.
    assert passed.get("{http://www.isotc211.org/2005/gco}nilReason") == "unknown"
    assert len(passed) == 0
    assert len(text(quality, "gmd:lineage/gmd:LI_Lineage/gmd:statement")) > 100


@cache
def iso_codelists() -> dict[str, set[str]]:
    tree = etree.parse(str(ISO_CODELISTS), _PARSER)
    gml_id = "{http://www.opengis.net/gml/3.2}id"
    return {
        d.get(gml_id): {c.findtext("gml:identifier", namespaces=NS)
                        for c in d.iterfind(".//gmx:CodeDefinition", NS)}
        for d in tree.iterfind(".//gmx:CodeListDictionary", NS)
    }


@with_record
def test_code_list_values(coll: dict, md: etree._Element) -> None:
    lists = iso_codelists()
    checked = 0
    for element in md.iter():
        code_list = element.get("codeList")
        if not code_list or "gmxCodelists.xml#" not in code_list:
            continue
        name = code_list.rsplit("#", 1)[1]
        value = element.get("codeListValue")
        assert name == etree.QName(element).localname, f"{name} on {element.tag}"
        assert value in lists[name], f"{value!r} is not a {name} value"
        assert (element.text or "").strip() == value
        checked += 1
    assert checked > 10
    topics = {t.text for t in md.iterfind(f"{ID}/gmd:topicCategory/gmd:MD_TopicCategoryCode", NS)}
    assert topics and topics <= lists["MD_TopicCategoryCode"]


def test_records_stay_valid_with_a_real_public_url() -> None:
    raw = (METADATA / COLLECTIONS[0]["metadata"]).read_bytes()
    served = raw.replace(PUBLIC.encode(), b"https://archive.example.org")
    assert b"{public_url}" not in served
    validate(served, ISO_METADATA)


def test_validator_reports_errors() -> None:
    raw = (METADATA / COLLECTIONS[0]["metadata"]).read_bytes()
    broken = re.sub(rb"<gco:Decimal>-?[\d.]+</gco:Decimal>", b"<gco:Decimal>west</gco:Decimal>",
                    raw, count=1)
    with pytest.raises(AssertionError, match="westBoundLongitude"):
        validate(broken, ISO_METADATA)
    # gmd.xsd alone does not know gmx:Anchor: the reason records are checked with ISO_METADATA.
    assert any("gmx:Anchor" in e for e in errors(raw, GMD))
