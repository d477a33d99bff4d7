"""The request guard: every request is read here before pycsw sees it.

* refuses what the catalogue does not offer, with an exception report and an HTTP status
  (:data:`STATUS`): bodies over :data:`MAX_BODY`, XML with a DTD or entities (read with the
  project's one hardened parser, ``ogc_server.ingest.xmlsafe``), SOAP, asynchronous responses,
  pycsw's other modes (SRU, OAI-PMH, its own OpenSearch: the platform's is at ``/opensearch``),
  ``maxRecords`` over :data:`MAX_RECORDS`, malformed paging, filters and sort orders the
  catalogue cannot answer, and any Transaction or Harvest that :func:`may_change_catalogue`
  does not allow;
* drops ``config=`` (pycsw's own WSGI entry would read its configuration from it);
* takes the filter (OGC Filter, FES 2.0, CQL text, the ``q``/``bbox``/``time`` terms) and the
  sort order out of a GetRecords request and hands them, parsed and checked, to the repository
  as a :class:`~plugins.pycsw_.repository.Search`; pycsw gets the request without them.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import reduce
from typing import Any
from urllib.parse import parse_qsl, urlencode

from lxml import etree
from pygeofilter import ast

from ogc_server.archive.filters import compile_filter
from ogc_server.errors import InvalidQuery
from ogc_server.ingest.xmlsafe import UnsafeXML, XMLError, parse_xml
from plugins.pycsw_.constraints import (
    ConstraintError,
    kvp_terms,
    parse_cql,
    sort_keys_kvp,
    sort_keys_xml,
)
from plugins.pycsw_.fes import FES, OGC, parse_filter
from plugins.pycsw_.matching import product_filter
from plugins.pycsw_.queryables import resolve, sort_keys
from plugins.pycsw_.repository import Catalogue, Search

CSW2 = "http://www.opengis.net/cat/csw/2.0.2"
CSW3 = "http://www.opengis.net/cat/csw/3.0"
SOAP = "http://www.w3.org/2003/05/soap-envelope"
MAX_BODY = 1024 * 1024
MAX_QUERY = 64 * 1024
MAX_RECORDS = 1000
MAX_IDS = 100
MAX_PARAMETERS = 64
MODIFYING = ("Transaction", "Harvest", "UnHarvest")
#: Element names pycsw can write into a Dublin Core record (ElementName with csw:Record).
DC_ELEMENTS = {"dc:identifier", "dc:title", "dc:type", "dc:subject", "dc:format", "dc:relation",
               "dct:modified", "dct:abstract", "dct:spatial", "ows:BoundingBox", "dc:date",
               "dc:creator", "dc:publisher", "dc:contributor", "dc:source", "dc:language",
               "dc:rights", "dct:alternative"}
GMD = "http://www.isotc211.org/2005/gmd"
SEARCH_TERMS = ("q", "bbox", "time", "start", "stop")
#: HTTP status of each exception code (OWS Common 2.0, table 28, used for both versions).
STATUS = {
    "MissingParameterValue": 400, "InvalidParameterValue": 400,
    "VersionNegotiationFailed": 400, "InvalidUpdateSequence": 400,
    "OperationParsingFailed": 400, "OperationNotSupported": 501, "OptionNotSupported": 501,
    "NotFound": 404, "NoApplicableCode": 400,
}


class CswError(Exception):
    """A request answered with an exception report."""

    def __init__(self, code: str, locator: str, text: str, *, status: int | None = None):
        super().__init__(text)
        self.code = code
        self.locator = locator
        self.text = text
        self.status = status or STATUS.get(code, 400)
        self.version: str | None = None
        """The CSW version whose exception report answers (None: the default, 3.0)."""


@dataclass(slots=True)
class Prepared:
    """A request as pycsw is to see it, with what the guard took out of it."""

    version: str
    request: str
    environ: dict[str, Any]
    search: Search = field(default_factory=Search)
    echo: etree._Element | None = None
    """The request to echo for ``resultType="validate"`` (CSW 2.0.2)."""
    validate: bool = False
    query: str = ""
    """A KVP request's parameters as received (less ``config``)."""


def may_change_catalogue(environ: dict[str, Any], operation: str) -> CswError | None:
    """The one place that decides who may run Transaction, Harvest and UnHarvest: nobody yet.

    Returns the refusal to send, or None to let the request through. Letting administrators
    through also needs pycsw's transactions switched on (``config.py``) and a repository that
    writes (``repository.ArchiveRepository`` refuses every write today).
    """
    return CswError("OperationNotSupported", "request",
                    f"{operation} is not available: the catalogue is read-only for anonymous "
                    "users (its records come from the archive's ingestion)")


def version_of_kvp(kvp: dict[str, str]) -> str:
    """The CSW version pycsw will answer a KVP request in."""
    if kvp.get("version") == "2.0.2" or "2.0.2" in kvp.get("acceptversions", ""):
        return "2.0.2"
    return "3.0.0"


def prepare(environ: dict[str, Any], catalogue: Catalogue) -> Prepared:
    """Check and rewrite a request; CswError (with the version to answer in) if refused."""
    method = environ.get("REQUEST_METHOD", "GET").upper()
    if method == "POST":
        return _prepare_post(environ, catalogue)
    return _prepare_get(environ, catalogue)


# KVP ------------------------------------------------------------------------------------------


def _prepare_get(environ: dict[str, Any], catalogue: Catalogue) -> Prepared:
    query = environ.get("QUERY_STRING", "")
    version = "3.0.0"
    try:
        if len(query) > MAX_QUERY:
            raise CswError("InvalidParameterValue", "request",
                           f"the query string is longer than {MAX_QUERY} characters")
        try:
            pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_PARAMETERS)
        except ValueError:
            raise CswError("InvalidParameterValue", "request",
                           f"more than {MAX_PARAMETERS} parameters") from None
        pairs = [(k, v) for k, v in pairs if k.lower() != "config"]
        kvp = {k.lower(): v for k, v in pairs}
        version = version_of_kvp(kvp)
        prepared = Prepared(version, kvp.get("request", ""), dict(environ),
                            query=urlencode(pairs))
        drop = _check_kvp(kvp, prepared, catalogue, environ)
        kept = [(k, "hits" if k.lower() == "resulttype" and prepared.validate else v)
                for k, v in pairs if k.lower() not in drop]
        prepared.environ["QUERY_STRING"] = urlencode(kept)
        return prepared
    except CswError as err:
        err.version = version
        raise


def _check_kvp(kvp: dict[str, str], prepared: Prepared, catalogue: Catalogue,
               environ: dict[str, Any]) -> set[str]:
    """Check the parameters; the names pycsw must not see."""
    if "mode" in kvp:
        raise CswError("InvalidParameterValue", "mode",
                       "mode is not supported (the platform's OpenSearch is at /opensearch)")
    if "responsehandler" in kvp:
        raise CswError("InvalidParameterValue", "responsehandler",
                       "asynchronous responses (ResponseHandler) are not supported")
    if prepared.request in MODIFYING:
        _deny(environ, prepared.request)
    _check_integer(kvp.get("updatesequence"), "updateSequence", 0)
    if prepared.request == "GetRecordById":
        _check_ids(kvp.get("id", "").split(","), "id")
    if prepared.request != "GetRecords":
        return set()
    _check_paging(kvp.get("maxrecords"), kvp.get("startposition"))
    _check_ids(kvp.get("recordids", "").split(","), "recordIds")
    _check_element_names(kvp.get("elementname", "").split(","), kvp.get("outputschema"))
    node = None
    with _constraint_errors():
        if "constraint" in kvp:
            language = kvp.get("constraintlanguage", "").strip().upper()
            if not language:
                raise CswError("MissingParameterValue", "constraintlanguage",
                               "CONSTRAINTLANGUAGE (FILTER or CQL_TEXT) is required with a "
                               "CONSTRAINT")
            if language == "FILTER":
                node = parse_filter(_xml(kvp["constraint"].encode("utf-8"), "constraint"))
            elif language == "CQL_TEXT":
                node = parse_cql(kvp["constraint"])
            else:
                raise CswError("InvalidParameterValue", "constraintlanguage",
                               "CONSTRAINTLANGUAGE must be FILTER or CQL_TEXT")
        terms = kvp_terms({k: kvp[k] for k in SEARCH_TERMS if k in kvp})
        prepared.search = _search(node, terms, kvp.get("sortby"), None, catalogue)
    if prepared.version == "2.0.2":
        result_type = kvp.get("resulttype", "hits")
        prepared.validate = result_type == "validate"
        prepared.search.hits = result_type in ("hits", "validate")
    else:
        prepared.search.hits = kvp.get("maxrecords", "").strip() == "0"
    return {"constraint", "constraintlanguage", "constraint_language_version", "sortby",
            *SEARCH_TERMS}


# XML ------------------------------------------------------------------------------------------


def _prepare_post(environ: dict[str, Any], catalogue: Catalogue) -> Prepared:
    version = "3.0.0"
    try:
        body = _read_body(environ)
        version = "2.0.2" if b"cat/csw/2.0.2" in body else "3.0.0"
        root = _xml(body, "request")
        namespace, name = etree.QName(root).namespace, etree.QName(root).localname
        if namespace == SOAP:
            raise CswError("InvalidParameterValue", "request",
                           "SOAP is not supported; send the CSW request as the body")
        if namespace not in (CSW2, CSW3):
            raise CswError("InvalidParameterValue", "request",
                           "the body is not a CSW 2.0.2 or 3.0 request")
        version = "2.0.2" if namespace == CSW2 else "3.0.0"
        prepared = Prepared(version, name, dict(environ))
        if name in MODIFYING:
            _deny(environ, name)
        if name == "GetRecords":
            _check_getrecords(root, namespace, prepared, catalogue)
        elif name == "GetRecordById":
            _check_ids([e.text or "" for e in root.findall(f"{{{namespace}}}Id")], "Id")
        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        prepared.environ.update({"wsgi.input": io.BytesIO(data), "CONTENT_LENGTH": str(len(data)),
                                 "QUERY_STRING": "", "REQUEST_METHOD": "POST"})
        return prepared
    except CswError as err:
        err.version = version
        raise


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        raise CswError("InvalidParameterValue", "request", "invalid Content-Length") from None
    too_large = CswError("InvalidParameterValue", "request",
                         f"the request body is larger than {MAX_BODY} bytes", status=413)
    if length > MAX_BODY:
        raise too_large
    stream = environ["wsgi.input"]
    body = stream.read(length) if length >= 0 else stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise too_large
    return body


def _check_getrecords(root: etree._Element, namespace: str, prepared: Prepared,
                      catalogue: Catalogue) -> None:
    if root.find(f"{{{namespace}}}ResponseHandler") is not None:
        raise CswError("InvalidParameterValue", "ResponseHandler",
                       "asynchronous responses (ResponseHandler) are not supported")
    _check_paging(root.get("maxRecords"), root.get("startPosition"))
    _check_element_names([e.text or "" for e in root.iter(f"{{{namespace}}}ElementName")],
                         root.get("outputSchema"))
    original = copy.deepcopy(root)
    node, sort_element = None, None
    query = root.find(f"{{{namespace}}}Query")
    with _constraint_errors():
        if query is not None:
            constraint = query.find(f"{{{namespace}}}Constraint")
            if constraint is not None:
                node = _constraint(constraint, namespace)
                query.remove(constraint)
            for sort_namespace in (OGC, FES):
                found = query.find(f"{{{sort_namespace}}}SortBy")
                if found is not None:
                    sort_element = found
                    query.remove(found)
        prepared.search = _search(node, None, None, sort_element, catalogue)
    if prepared.version == "2.0.2":
        result_type = root.get("resultType", "hits")
        prepared.validate = result_type == "validate"
        if prepared.validate:
            prepared.echo = original
        prepared.search.hits = result_type in ("hits", "validate")
        root.set("resultType", "hits" if prepared.search.hits else result_type)
    else:
        prepared.search.hits = (root.get("maxRecords") or "").strip() == "0"


def _constraint(element: etree._Element, namespace: str) -> ast.Node:
    children = [c for c in element if isinstance(c.tag, str)]
    if len(children) != 1:
        raise ConstraintError("a Constraint holds one filter or one CqlText")
    child = children[0]
    if etree.QName(child) == etree.QName(namespace, "CqlText"):
        return parse_cql(child.text or "")
    return parse_filter(child)


# Shared checks --------------------------------------------------------------------------------


def _xml(data: bytes, locator: str) -> etree._Element:
    try:
        return parse_xml(data, max_bytes=MAX_BODY)
    except UnsafeXML:
        raise CswError("InvalidParameterValue", locator,
                       "XML with a DOCTYPE or entity declarations is not accepted") from None
    except XMLError as exc:
        raise CswError("InvalidParameterValue", locator,
                       f"not well-formed XML: {str(exc).split(': ', 1)[-1][:200]}") from None


def _deny(environ: dict[str, Any], operation: str) -> None:
    refusal = may_change_catalogue(environ, operation)
    if refusal is not None:
        raise refusal


def _check_integer(value: str | None, locator: str, low: int, high: int = 2**31) -> None:
    if value is None or value.strip() == "":
        return
    try:
        number = int(value.strip())
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise CswError("InvalidParameterValue", locator,
                       f"{locator} must be an integer from {low} to {high}")


def _check_paging(max_records: str | None, start_position: str | None) -> None:
    _check_integer(max_records, "maxRecords", 0, MAX_RECORDS)
    _check_integer(start_position, "startPosition", 1)


def _check_element_names(names: list[str], schema: str | None) -> None:
    """Dublin Core records can hold Dublin Core elements only."""
    if schema == GMD:
        return
    for name in (n.strip() for n in names if n.strip()):
        if name not in DC_ELEMENTS:
            raise CswError("InvalidParameterValue", "ElementName",
                           f"{name[:80]} is not an element of a Dublin Core record")


def _check_ids(ids: list[str], locator: str) -> None:
    if len([i for i in ids if i.strip()]) > MAX_IDS:
        raise CswError("InvalidParameterValue", locator, f"at most {MAX_IDS} identifiers")


@contextmanager
def _constraint_errors() -> Iterator[None]:
    """Constraint and query errors become InvalidParameterValue exception reports."""
    try:
        yield
    except ConstraintError as exc:
        raise CswError("InvalidParameterValue", exc.locator, str(exc)) from None
    except InvalidQuery as exc:
        raise CswError("InvalidParameterValue", "constraint", exc.user_msg) from None


def _search(node: ast.Node | None, terms: ast.Node | None, sortby: str | None,
            sort_element: etree._Element | None, catalogue: Catalogue) -> Search:
    parts = [n for n in (node, terms) if n is not None]
    combined = reduce(lambda a, b: ast.And(a, b), parts) if parts else None
    search = Search()
    if combined is not None:
        search.filter = resolve(combined)
        condition = product_filter(search.filter, catalogue.per_collection)
        if not isinstance(condition, bool):
            compile_filter(condition, catalogue.store.dialect)  # what the archive refuses
    if sortby is not None:
        search.sort = sort_keys(sort_keys_kvp(sortby))
    elif sort_element is not None:
        search.sort = sort_keys(sort_keys_xml(sort_element))
    return search
