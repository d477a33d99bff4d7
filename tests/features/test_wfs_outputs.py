"""The other WFS documents: GeoJSON against the GeoJSON schema, single features, stored
queries, exception reports and XML-encoded requests against the official schemas."""

from __future__ import annotations

import json
from pathlib import Path

from flask.testing import FlaskClient
from jsonschema import Draft7Validator

from ogc_server.archive.query import ProductQuery
from ogc_server.services import Services
from tests.conftest import ROOT
from tests.features.conftest import WFS
from tests.features.helpers import NS, WFS_XSD, application_schema, member_ids, xml
from tests.xmlvalidate import validate

GET = WFS + "&REQUEST=GetFeature"
BY_ID = GET + "&STOREDQUERY_ID=urn:ogc:def:query:OGC-WFS::GetFeatureById"
OWS_XSD = "http://schemas.opengis.net/ows/1.1.0/owsExceptionReport.xsd"
FEATURE_SCHEMA = json.loads(
    (ROOT / "tests/schemas/stac/geojson.org/schema/Feature.json").read_text())
POST_HEAD = ('<wfs:{0} xmlns:wfs="http://www.opengis.net/wfs/2.0" service="WFS" '
             'version="2.0.0">{1}</wfs:{0}>')


def _first(services: Services, collection: str = "EOP:CODE-DE:S1_SAR_L1_GRD") -> str:
    return services.store.query(ProductQuery(collections=[collection],
                                             limit=1)).products[0].identifier


def test_geojson_features_are_valid_geojson(client: FlaskClient) -> None:
    response = client.get(GET + "&TYPENAMES=codede:S1_SAR_L1_GRD,codede:S5P_TROPOMI_L2"
                          "&OUTPUTFORMAT=application/json")
    assert response.content_type == "application/geo+json"
    doc = response.get_json(force=True)
    assert doc["type"] == "FeatureCollection" and doc["features"]
    validator = Draft7Validator(FEATURE_SCHEMA)
    for feature in doc["features"]:
        assert not list(validator.iter_errors(feature)), feature["id"]
        assert feature["properties"]["featureType"] in ("codede:S1_SAR_L1_GRD",
                                                         "codede:S5P_TROPOMI_L2")


def test_get_feature_by_id_answers_the_feature(client: FlaskClient, demo_services: Services,
                                               tmp_path: Path) -> None:
    identifier = _first(demo_services)
    dft = client.get(WFS + "&REQUEST=DescribeFeatureType").get_data()
    schema = application_schema(dft, tmp_path)
    root = xml(client.get(BY_ID + f"&ID={identifier}"))
    schema.validate(root)
    assert root.get(f"{{{NS['gml']}}}id") == f"S1_SAR_L1_GRD.{identifier}"
    doc = client.get(BY_ID + f"&ID=S1_SAR_L1_GRD.{identifier}&OUTPUTFORMAT=json").get_json(
        force=True)
    assert doc["type"] == "Feature" and doc["properties"]["identifier"] == identifier


def test_property_names_choose_the_attributes(client: FlaskClient, tmp_path: Path) -> None:
    dft = client.get(WFS + "&REQUEST=DescribeFeatureType&TYPENAMES=codede:S1_SAR_L1_GRD")
    schema = application_schema(dft.get_data(), tmp_path)
    root = xml(client.get(GET + "&TYPENAMES=codede:S1_SAR_L1_GRD"
                          "&PROPERTYNAME=codede:orbitNumber,startDate"))
    schema.validate(root)
    feature = root.find("wfs:member", NS)[0]
    names = [child.tag.rpartition("}")[2] for child in feature]
    assert names == ["identifier", "boundedBy", "startDate", "orbitNumber", "footprint"]


def test_stored_query_documents_and_exception_reports_are_valid(client: FlaskClient) -> None:
    for operation in ("ListStoredQueries", "DescribeStoredQueries"):
        response = client.get(WFS + f"&REQUEST={operation}")
        assert response.status_code == 200
        validate(response.get_data(), WFS_XSD)
    response = client.get(GET + "&TYPENAMES=codede:nope")
    validate(response.get_data(), OWS_XSD)


def test_xml_encoded_requests(client: FlaskClient, demo_services: Services) -> None:
    capabilities = client.post("/wfs", data=POST_HEAD.format("GetCapabilities", "").replace(
        ' version="2.0.0"', ""), content_type="text/xml")
    validate(capabilities.get_data(), WFS_XSD)
    dft = xml(client.post("/wfs", data=POST_HEAD.format(
        "DescribeFeatureType",
        '<wfs:TypeName xmlns:codede="x">codede:S2_MSI_L2A</wfs:TypeName>'),
        content_type="text/xml"))
    assert dft.xpath("xsd:element/@name", namespaces=NS) == ["S2_MSI_L2A"]
    listed = xml(client.post("/wfs", data=POST_HEAD.format("ListStoredQueries", ""),
                             content_type="text/xml"))
    assert listed.find("wfs:StoredQuery", NS) is not None
    identifier = _first(demo_services)
    by_id = xml(client.post("/wfs", data=POST_HEAD.format(
        "GetFeature",
        '<wfs:StoredQuery id="urn:ogc:def:query:OGC-WFS::GetFeatureById">'
        f'<wfs:Parameter name="ID">{identifier}</wfs:Parameter></wfs:StoredQuery>'),
        content_type="text/xml"))
    assert by_id.findtext("gml:identifier", namespaces=NS) == identifier
    hits = xml(client.post("/wfs", data=POST_HEAD.format(
        "GetFeature", '<wfs:Query typeNames="codede:S1_SAR_L1_GRD"/>').replace(
        'version="2.0.0"', 'version="2.0.0" resultType="hits"'), content_type="text/xml"))
    total = demo_services.store.query(ProductQuery(
        collections=["EOP:CODE-DE:S1_SAR_L1_GRD"], limit=0)).total
    assert hits.get("numberMatched") == str(total) and not member_ids(hits)
