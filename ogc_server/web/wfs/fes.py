"""FES 2.0 filters read into pygeofilter ASTs the catalogue answers.

pygeofilter's FES reader does the parsing; before it runs, the filter is put into the shape
the reader and the catalogue expect (:func:`_normalise`), and afterwards the AST is compiled
once for the store's dialect, so a filter the catalogue cannot answer is refused with the
request, naming the reason.
"""

from __future__ import annotations

import math

from lxml import etree
from pygeofilter import ast
from pygeofilter.parsers.fes import parse as parse_fes
from pygeofilter.parsers.fes.util import NodeParsingError

from ogc_server.archive.filters import compile_filter
from ogc_server.archive.properties import DATETIME_PROPERTIES, resolve_name
from ogc_server.errors import InvalidQuery
from ogc_server.ingest.xmlsafe import XMLError, parse_xml
from ogc_server.web.wfs.errors import WfsError
from ogc_server.web.wfs.model import CRS_NAMES, CRS_URN, FES, FIELDS, GEOMETRY, GML

MAX_FILTER_ELEMENTS = 500
MAX_FILTER_BYTES = 256 * 1024
_FIELD_COLUMNS = {f.name: f.column for f in FIELDS}
_NUMERIC = {f.column: f.xsd for f in FIELDS if f.xsd in ("long", "double")}


def column(name: str, locator: str) -> str:
    """The catalogue property of a feature attribute (prefix dropped) or of any alias."""
    local = name.rpartition(":")[2].lstrip("/")
    try:
        return resolve_name(_FIELD_COLUMNS.get(local, local))
    except InvalidQuery:
        raise WfsError("InvalidParameterValue", f"unknown property {name!r}",
                       locator) from None


def parse_filter(body: bytes, locator: str = "FILTER") -> etree._Element:
    """A ``FILTER`` value, read by the project's hardened parser."""
    if len(body) > MAX_FILTER_BYTES:
        raise WfsError("InvalidParameterValue", "the filter is too large", locator)
    try:
        return parse_xml(body, max_bytes=MAX_FILTER_BYTES)
    except XMLError as exc:
        raise WfsError("OperationParsingFailed", f"the filter is not accepted: {exc}",
                       locator) from exc


def read_filter(root: etree._Element, dialect: str) -> list[str] | ast.Node:
    """The FES 2.0 filter ``root``: its resource ids, or a pygeofilter AST the catalogue
    answers (checked by compiling it for ``dialect``)."""
    if root.tag != f"{{{FES}}}Filter":
        raise WfsError("OperationParsingFailed", "the filter must be a fes:Filter (FES 2.0)",
                       "FILTER")
    if sum(1 for _ in root.iter()) > MAX_FILTER_ELEMENTS:
        raise WfsError("InvalidParameterValue",
                       f"the filter is too large ({MAX_FILTER_ELEMENTS} elements at most)",
                       "FILTER")
    children = [c for c in root if isinstance(c.tag, str)]
    rids = [c for c in children if c.tag == f"{{{FES}}}ResourceId"]
    if rids:
        if len(rids) != len(children):
            raise WfsError("InvalidParameterValue",
                           "fes:ResourceId cannot be mixed with other operators", "FILTER")
        return [c.get("rid", "") for c in rids]
    _normalise(root)
    try:
        node = parse_fes(root)
    except NodeParsingError as exc:
        tag = str(exc).rpartition("}")[2] or "?"
        raise WfsError("InvalidParameterValue",
                       f"the filter uses fes:{tag}, which this service does not read",
                       "FILTER") from exc
    except Exception as exc:  # the FES reader raises many kinds on what it cannot read
        raise WfsError("InvalidParameterValue",
                       "the filter is not a complete FES 2.0 filter (an operand, attribute "
                       "or value is missing or malformed)", "FILTER") from exc
    try:
        compile_filter(node, dialect)
    except InvalidQuery as exc:
        raise WfsError("InvalidParameterValue", f"filter: {exc.user_msg}", "FILTER") from exc
    return node


_TEMPORAL_OPS = {"After", "Before", "Begins", "BegunBy", "TContains", "During", "TEquals",
                 "TOverlaps", "Meets", "OverlappedBy", "MetBy", "Ends", "EndedBy",
                 "AnyInteracts"}
_SPATIAL_OPS = {"BBOX", "Intersects", "Within", "Contains", "Disjoint", "Equals", "Touches",
                "Overlaps", "Crosses", "DWithin", "Beyond"}


def _normalise(root: etree._Element) -> None:
    """Make the filter say what the reader expects: binary ``And``/``Or`` (FES allows more
    operands), property names as the catalogue's, the geometry named in every spatial operator,
    and GML coordinates with an explicit axis order (the reader does not turn envelopes given
    latitude first)."""
    for tag in ("And", "Or"):
        for op in list(root.iter(f"{{{FES}}}{tag}")):
            _binary(op)
    for ref in root.iter(f"{{{FES}}}ValueReference"):
        name = (ref.text or "").strip()
        local = name.rpartition(":")[2].lstrip("/")
        ref.text = GEOMETRY if local == GEOMETRY else column(name, "FILTER")
        parent = ref.getparent()
        if ref.text in _NUMERIC and parent is not None:
            # literals come untyped from most clients: read them as the property's numbers
            for literal in parent.iter(f"{{{FES}}}Literal"):
                _type_literal(literal, _NUMERIC[ref.text])
    for op in root.iter():
        if not isinstance(op.tag, str):
            continue
        if etree.QName(op).localname in _TEMPORAL_OPS:
            ref = op.find(f"{{{FES}}}ValueReference")
            if ref is not None and ref.text not in DATETIME_PROPERTIES:
                raise WfsError("InvalidParameterValue",
                               f"temporal operators apply to times, not {ref.text!r}", "FILTER")
        if etree.QName(op).localname not in _SPATIAL_OPS:
            continue
        if op.find(f"{{{FES}}}ValueReference") is None:
            ref = etree.Element(f"{{{FES}}}ValueReference")
            ref.text = GEOMETRY
            op.insert(0, ref)
        for geometry in op:
            if isinstance(geometry.tag, str) and geometry.tag.startswith(f"{{{GML}}}"):
                _axis_order(geometry)


def _binary(op: etree._Element) -> None:
    """Nest an ``And``/``Or`` of more than two operands as binary ones (same meaning)."""
    operands = [c for c in op if isinstance(c.tag, str)]
    while len(operands) > 2:
        first, second = operands[0], operands[1]
        pair = etree.Element(op.tag)
        op.insert(op.index(first), pair)
        pair.append(first)
        pair.append(second)
        operands = [pair, *operands[2:]]


def _type_literal(literal: etree._Element, xsd: str) -> None:
    """Type an untyped literal compared with a number; a whole number must fit 64 bits."""
    if literal.get("type"):
        return
    text = (literal.text or "").strip()
    try:
        value = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return  # not a number: the compiler names the property and the value
        if not math.isfinite(number):
            raise WfsError("InvalidParameterValue", f"{text} is not a finite number",
                           "FILTER") from None
        literal.set("type", "xs:double")
        return
    if not -(2**63) <= value < 2**63:
        raise WfsError("InvalidParameterValue", f"the number {text} is out of range", "FILTER")
    literal.set("type", f"xs:{xsd}")


def _axis_order(geometry: etree._Element) -> None:
    srs = geometry.get("srsName")
    if srs is not None and srs.strip() not in CRS_NAMES:
        raise WfsError("InvalidParameterValue", f"CRS {srs!r} is not offered", "FILTER")
    lat_first = srs is None or CRS_NAMES[srs.strip()]
    # the reader turns geometries (not envelopes) named in a latitude-first CRS; without a
    # srsName it reads longitude first
    if geometry.tag != f"{{{GML}}}Envelope" and lat_first:
        geometry.set("srsName", CRS_URN)
        return
    if lat_first:
        for corner in geometry:
            values = (corner.text or "").split()
            if len(values) == 2:
                corner.text = f"{values[1]} {values[0]}"
    geometry.attrib.pop("srsName", None)
