"""WFS 2.0 documents about the service: capabilities, feature type schemas, stored queries.

The capabilities (WFS 2.0.0 with OWS 1.1) announce the Basic WFS conformance class with
result paging, KVP and XML encodings, and in ``fes:Filter_Capabilities`` exactly the FES 2.0
operators the catalogue's filter compiler answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lxml import etree

from ogc_server.service_metadata import describe_service
from ogc_server.settings import Settings
from ogc_server.web.wfs import inspire
from ogc_server.web.wfs.model import (
    CRS_URN,
    FES,
    FIELDS,
    GEOJSON,
    GEOMETRY,
    GET_FEATURE_BY_ID,
    GML,
    GML_32,
    GML_SCHEMA,
    OTHER_CRS,
    PREFIX,
    WFS,
    WFS_SCHEMA,
    XLINK,
    XSD,
    XSI,
    FeatureType,
)
from ogc_server.web.wfs.request import DEFAULT_COUNT, MAX_COUNT

OWS = "http://www.opengis.net/ows/1.1"
OPERATIONS = ("GetCapabilities", "DescribeFeatureType", "ListStoredQueries",
              "DescribeStoredQueries", "GetFeature")
#: WFS 2.0 service constraints (Table 13 of OGC 09-025r2).
SERVICE_CONSTRAINTS = {
    "ImplementsBasicWFS": True, "ImplementsTransactionalWFS": False,
    "ImplementsLockingWFS": False, "KVPEncoding": True, "XMLEncoding": True,
    "SOAPEncoding": False, "ImplementsInheritance": False, "ImplementsRemoteResolve": False,
    "ImplementsResultPaging": True, "ImplementsStandardJoins": False,
    "ImplementsSpatialJoins": False, "ImplementsTemporalJoins": False,
    "ImplementsFeatureVersioning": False, "ManageStoredQueries": False,
}
#: FES 2.0 conformance (Table 1 of OGC 09-026r2).
FILTER_CONFORMANCE = {
    "ImplementsQuery": True, "ImplementsAdHocQuery": True, "ImplementsFunctions": False,
    "ImplementsResourceId": True, "ImplementsMinStandardFilter": True,
    "ImplementsStandardFilter": True, "ImplementsMinSpatialFilter": True,
    "ImplementsSpatialFilter": False, "ImplementsMinTemporalFilter": True,
    "ImplementsTemporalFilter": False, "ImplementsVersionNav": False,
    "ImplementsSorting": True, "ImplementsExtendedOperators": False,
    "ImplementsMinimumXPath": False, "ImplementsSchemaElementFunc": False,
}
COMPARISONS = ("PropertyIsEqualTo", "PropertyIsNotEqualTo", "PropertyIsLessThan",
               "PropertyIsGreaterThan", "PropertyIsLessThanOrEqualTo",
               "PropertyIsGreaterThanOrEqualTo", "PropertyIsLike", "PropertyIsNull",
               "PropertyIsBetween")
SPATIAL = ("BBOX", "Intersects", "Within", "Contains", "Disjoint")
GEOMETRY_OPERANDS = ("gml:Envelope", "gml:Point", "gml:LineString", "gml:Polygon",
                     "gml:MultiPoint", "gml:MultiCurve", "gml:MultiSurface")
TEMPORAL = ("After", "Before", "During", "TEquals", "TContains", "TOverlaps", "OverlappedBy")
TEMPORAL_OPERANDS = ("gml:TimeInstant", "gml:TimePeriod")
OUTPUT_FORMATS = (GML_32, GEOJSON, "application/json")


def _e(parent: etree._Element, tag: str, text: str | None = None, **attrs: str
       ) -> etree._Element:
    ns, _, local = tag.partition(":")
    uri = {"ows": OWS, "wfs": WFS, "fes": FES, "gml": GML, "xsd": XSD}[ns]
    element = etree.SubElement(parent, f"{{{uri}}}{local}", **attrs)
    if text is not None:
        element.text = text
    return element


def _domain(parent: etree._Element, tag: str, name: str, values: Sequence[str] = (),
            default: str | None = None) -> None:
    node = _e(parent, tag, name=name)
    if values:
        allowed = _e(node, "ows:AllowedValues")
        for value in values:
            _e(allowed, "ows:Value", value)
    else:
        _e(node, "ows:NoValues")
    if default is not None:
        _e(node, "ows:DefaultValue", default)


def _bool(value: bool) -> str:
    return "TRUE" if value else "FALSE"


def capabilities(settings: Settings, url: str, ns: str, types: Mapping[str, FeatureType],
                 boxes: Mapping[str, tuple[float, float, float, float]],
                 metadata_urls: Mapping[str, str]) -> bytes:
    """The ``wfs:WFS_Capabilities`` document; ``boxes`` are the collections' lon/lat boxes."""
    root = etree.Element(f"{{{WFS}}}WFS_Capabilities", version="2.0.0", nsmap={
        "wfs": WFS, "ows": OWS, "fes": FES, "gml": GML, "xlink": XLINK, "xsi": XSI,
        PREFIX: ns})
    root.set(f"{{{XSI}}}schemaLocation",
             f"{WFS} {WFS_SCHEMA} {inspire.DLS} {inspire.DLS_SCHEMA}")
    _service(root, settings)
    metadata = _e(root, "ows:OperationsMetadata")
    for name in OPERATIONS:
        operation = _e(metadata, "ows:Operation", name=name)
        http = _e(_e(operation, "ows:DCP"), "ows:HTTP")
        _e(http, "ows:Get").set(f"{{{XLINK}}}href", url)
        _e(http, "ows:Post").set(f"{{{XLINK}}}href", url)
        if name == "GetCapabilities":
            _domain(operation, "ows:Parameter", "AcceptVersions", ["2.0.0"])
            _domain(operation, "ows:Parameter", "AcceptFormats", ["text/xml"])
        elif name == "DescribeFeatureType":
            _domain(operation, "ows:Parameter", "outputFormat",
                    [GML_32, "text/xml; subtype=gml/3.2"])
        elif name == "GetFeature":
            _domain(operation, "ows:Parameter", "outputFormat", OUTPUT_FORMATS)
            _domain(operation, "ows:Parameter", "resultType", ["results", "hits"])
    _domain(metadata, "ows:Parameter", "version", ["2.0.0"])
    for constraint, value in SERVICE_CONSTRAINTS.items():
        _domain(metadata, "ows:Constraint", constraint, default=_bool(value))
    _domain(metadata, "ows:Constraint", "CountDefault", default=str(DEFAULT_COUNT))
    _domain(metadata, "ows:Constraint", "QueryExpressions",
            ["wfs:Query", "wfs:StoredQuery"])
    _domain(metadata, "ows:Constraint", "ResolveLocalScope", default="0")
    _e(metadata, "ows:ExtendedCapabilities").append(
        inspire.extended_capabilities(settings, types, metadata_urls))
    type_list = _e(root, "wfs:FeatureTypeList")
    for feature_type in types.values():
        _feature_type(type_list, feature_type, boxes.get(feature_type.collection.identifier),
                      metadata_urls.get(feature_type.collection.identifier))
    _filter_capabilities(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _service(root: etree._Element, settings: Settings) -> None:
    service = _e(root, "ows:ServiceIdentification")
    described = describe_service(settings, "wfs")
    _e(service, "ows:Title", described.title)
    _e(service, "ows:Abstract", described.abstract)
    keywords = _e(service, "ows:Keywords")
    for word in ("Copernicus", "Sentinel", "footprints", "earth observation"):
        _e(keywords, "ows:Keyword", word)
    _e(service, "ows:ServiceType", "WFS")
    _e(service, "ows:ServiceTypeVersion", "2.0.0")
    _e(service, "ows:Fees", "NONE")
    _e(service, "ows:AccessConstraints", "NONE")
    contact = settings.contact
    provider = _e(root, "ows:ServiceProvider")
    _e(provider, "ows:ProviderName", contact.organisation)
    _e(provider, "ows:ProviderSite").set(f"{{{XLINK}}}href",
                                        contact.url or settings.public_url)
    info = _e(_e(provider, "ows:ServiceContact"), "ows:ContactInfo")
    _e(_e(info, "ows:Address"), "ows:ElectronicMailAddress", contact.email)


def _feature_type(parent: etree._Element, feature_type: FeatureType,
                  box: tuple[float, float, float, float] | None,
                  metadata_url: str | None) -> None:
    collection = feature_type.collection
    node = _e(parent, "wfs:FeatureType")
    _e(node, "wfs:Name", feature_type.qualified)
    _e(node, "wfs:Title", collection.title)
    _e(node, "wfs:Abstract", collection.abstract)
    keywords = _e(node, "ows:Keywords")
    for word in dict.fromkeys((*collection.keywords, collection.platform,
                               collection.instrument, collection.processing_level)):
        _e(keywords, "ows:Keyword", word)
    _e(node, "wfs:DefaultCRS", CRS_URN)
    for crs in OTHER_CRS:
        _e(node, "wfs:OtherCRS", crs)
    formats = _e(node, "wfs:OutputFormats")
    for fmt in OUTPUT_FORMATS:
        _e(formats, "wfs:Format", fmt)
    west, south, east, north = box or (-180.0, -90.0, 180.0, 90.0)
    wgs84 = _e(node, "ows:WGS84BoundingBox")
    _e(wgs84, "ows:LowerCorner", f"{west:g} {south:g}")
    _e(wgs84, "ows:UpperCorner", f"{east:g} {north:g}")
    if metadata_url:
        _e(node, "wfs:MetadataURL").set(f"{{{XLINK}}}href", metadata_url)


def _filter_capabilities(root: etree._Element) -> None:
    caps = _e(root, "fes:Filter_Capabilities")
    conformance = _e(caps, "fes:Conformance")
    for name, value in FILTER_CONFORMANCE.items():
        _domain(conformance, "fes:Constraint", name, default=_bool(value))
    _e(_e(caps, "fes:Id_Capabilities"), "fes:ResourceIdentifier", name="fes:ResourceId")
    scalar = _e(caps, "fes:Scalar_Capabilities")
    _e(scalar, "fes:LogicalOperators")
    comparisons = _e(scalar, "fes:ComparisonOperators")
    for name in COMPARISONS:
        _e(comparisons, "fes:ComparisonOperator", name=name)
    spatial = _e(caps, "fes:Spatial_Capabilities")
    operands = _e(spatial, "fes:GeometryOperands")
    for name in GEOMETRY_OPERANDS:
        _e(operands, "fes:GeometryOperand", name=name)
    operators = _e(spatial, "fes:SpatialOperators")
    for name in SPATIAL:
        _e(operators, "fes:SpatialOperator", name=name)
    temporal = _e(caps, "fes:Temporal_Capabilities")
    operands = _e(temporal, "fes:TemporalOperands")
    for name in TEMPORAL_OPERANDS:
        _e(operands, "fes:TemporalOperand", name=name)
    operators = _e(temporal, "fes:TemporalOperators")
    for name in TEMPORAL:
        _e(operators, "fes:TemporalOperator", name=name)


def describe_feature_type(ns: str, types: Sequence[FeatureType]) -> bytes:
    """The GML 3.2 application schema of ``types``: each a feature with every catalogue
    property (all optional, as products state different ones) and the footprint."""
    root = etree.Element(f"{{{XSD}}}schema", nsmap={"xsd": XSD, "gml": GML, PREFIX: ns},
                         targetNamespace=ns, elementFormDefault="qualified",
                         version="1.0")
    _e(root, "xsd:import", namespace=GML, schemaLocation=GML_SCHEMA)
    for feature_type in types:
        type_name = f"{feature_type.name}Type"
        _e(root, "xsd:element", name=feature_type.name, type=f"{PREFIX}:{type_name}",
           substitutionGroup="gml:AbstractFeature")
        complex_type = _e(root, "xsd:complexType", name=type_name)
        extension = _e(_e(complex_type, "xsd:complexContent"), "xsd:extension",
                       base="gml:AbstractFeatureType")
        sequence = _e(extension, "xsd:sequence")
        for f in FIELDS:
            _e(sequence, "xsd:element", name=f.name, type=f"xsd:{f.xsd}", minOccurs="0")
        _e(sequence, "xsd:element", name=GEOMETRY, type="gml:GeometryPropertyType")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def list_stored_queries(ns: str, types: Sequence[FeatureType]) -> bytes:
    root = etree.Element(f"{{{WFS}}}ListStoredQueriesResponse",
                         nsmap={"wfs": WFS, "xsi": XSI, PREFIX: ns})
    root.set(f"{{{XSI}}}schemaLocation", f"{WFS} {WFS_SCHEMA}")
    query = _e(root, "wfs:StoredQuery", id=GET_FEATURE_BY_ID)
    _e(query, "wfs:Title", "Get feature by identifier")
    for feature_type in types:
        _e(query, "wfs:ReturnFeatureType", feature_type.qualified)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def describe_stored_queries(ns: str, types: Sequence[FeatureType]) -> bytes:
    root = etree.Element(f"{{{WFS}}}DescribeStoredQueriesResponse",
                         nsmap={"wfs": WFS, "xsi": XSI, "xsd": XSD, PREFIX: ns})
    root.set(f"{{{XSI}}}schemaLocation", f"{WFS} {WFS_SCHEMA}")
    description = _e(root, "wfs:StoredQueryDescription", id=GET_FEATURE_BY_ID)
    _e(description, "wfs:Title", "Get feature by identifier")
    _e(description, "wfs:Abstract",
       "The feature whose product identifier (or gml:id) is ID, from any feature type.")
    _e(description, "wfs:Parameter", name="ID", type="xsd:string")
    expression = _e(description, "wfs:QueryExpressionText",
                    returnFeatureTypes=" ".join(t.qualified for t in types),
                    language="urn:ogc:def:queryLanguage:OGC-WFS::WFS_QueryExpression",
                    isPrivate="true")
    expression.text = None
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


__all__ = ["MAX_COUNT", "capabilities", "describe_feature_type", "describe_stored_queries",
           "list_stored_queries"]
