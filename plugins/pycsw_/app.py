"""The catalogue service at ``/csw``: OGC CSW 2.0.2 (with the ISO application profile and the
INSPIRE discovery extended capabilities, closed by the ``MetadataUrl`` of the service's own
record) and CSW 3.0, served by pycsw 2.6 over the archive.

``ogc_server.compose`` mounts :func:`build_wsgi_app`. Each request goes through the guard
(:mod:`plugins.pycsw_.guard`), then to a pycsw server object (:class:`CswServer`) whose
repository is :class:`plugins.pycsw_.repository.ArchiveRepository`. Records are written by pycsw
(Dublin Core) and by :mod:`plugins.pycsw_.iso` (ISO 19139, registered as pycsw's writer for the
``gmd`` output schema, so every ISO element set is valid ISO 19139).

HTTP status of exception reports (pycsw itself answers 200 for CSW 2.0.2 and 400 for 3.0): the
codes of OWS Common 2.0 (table 28) for both versions, i.e. 400 for MissingParameterValue,
InvalidParameterValue, VersionNegotiationFailed and InvalidUpdateSequence, 404 for NotFound, 501
for OperationNotSupported (Transaction and Harvest included), 413 for a body over the size limit,
405 for other HTTP methods; NoApplicableCode is 400 when the request was at fault (an XML body
pycsw's schemas refuse) and 500 only when the catalogue itself failed. No response carries a
traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from lxml import etree
from pycsw.server import Csw

from ogc_server.errors import InvalidQuery
from ogc_server.service_metadata import CSW_RECORD_MEDIA_TYPE
from ogc_server.services import Services
from plugins.pycsw_ import guard
from plugins.pycsw_.config import csw_url, parser, pycsw_config
from plugins.pycsw_.guard import CswError, Prepared
from plugins.pycsw_.iso import GMD
from plugins.pycsw_.repository import Catalogue

LOGGER = logging.getLogger(__name__)
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
OWS1 = "http://www.opengis.net/ows"
OWS2 = "http://www.opengis.net/ows/2.0"
CSW2 = guard.CSW2
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
INSPIRE_DS = "http://inspire.ec.europa.eu/schemas/inspire_ds/1.0"
INSPIRE_COMMON = "http://inspire.ec.europa.eu/schemas/common/1.0"
CONFORMANCE = "http://www.opengis.net/spec/csw/3.0/conf/"
#: CSW 3.0 conformance classes this endpoint does not offer (pycsw claims them by default).
NOT_OFFERED = ("OpenSearch", "GetRecords-Distributed-XML", "GetRecords-Distributed-KVP",
               "GetRecords-Async-XML", "GetRecords-Async-KVP", "Transaction",
               "Harvest-Basic-XML", "Harvest-Basic-KVP", "Harvest-Async-XML",
               "Harvest-Async-KVP", "Harvest-Periodic-XML", "Harvest-Periodic-KVP")
FAILED = "the catalogue could not answer the request; please try again later"


def build_wsgi_app(services: Services) -> WSGIApp:
    """The CSW endpoint over ``services`` (its pycsw configuration generated once, here)."""
    return CswApp(services)


class _Distinct(list):  # type: ignore[type-arg]
    """A list of allowed values that ignores repeats (pycsw adds some twice)."""

    def append(self, value: Any) -> None:
        if value not in self:
            super().append(value)


class _IsoWriter:
    """pycsw's output-schema writer for ISO 19139: our records' own element sets."""

    NAMESPACE = GMD

    @staticmethod
    def write_record(result: Any, esn: str | None, context: Any, url: str | None = None) -> Any:
        return result.iso(esn)


class CswServer(Csw):
    """One request's pycsw server, tailored to the catalogue."""

    def __init__(self, config: Any, environ: dict[str, Any], catalogue: Catalogue,
                 prepared: Prepared):
        self.catalogue = catalogue
        self.prepared = prepared
        self.search = prepared.search
        self.failure: BaseException | None = None
        self.http_status = 200
        super().__init__(config, environ, version="3.0.0")
        self.outputschemas = {GMD: _IsoWriter()}
        for model in self.context.models.values():
            _tailor(model)
        # prefixes used only inside QName values (the schemas DescribeRecord returns)
        self.context.keep_ns_prefixes = [*self.context.keep_ns_prefixes, "gco", "gmx", "srv",
                                         "xlink"]

    def _write_response(self) -> Any:
        try:
            self._finish()
        except Exception:  # never let a rewrite turn into a traceback
            LOGGER.exception("could not complete the CSW response")
            self.response = self.iface.exceptionreport("NoApplicableCode", "service", FAILED)
            self.http_status = 500
        return super()._write_response()

    def _finish(self) -> None:
        failure = self.failure
        if failure is not None and not isinstance(failure, InvalidQuery):
            LOGGER.error("CSW repository failure", exc_info=failure)
            self.response = self.iface.exceptionreport("NoApplicableCode", "service", FAILED)
            self.http_status = 500
            return
        root = self.response
        name = etree.QName(root).localname
        if name == "ExceptionReport":
            exception = root.find(f"{{{etree.QName(root).namespace}}}Exception")
            code = exception.get("exceptionCode", "NoApplicableCode") if exception is not None \
                else "NoApplicableCode"
            if "serialization failed" in "".join(root.itertext()):
                LOGGER.error("CSW record writer failed: %s", "".join(root.itertext()).strip())
                self.response = self.iface.exceptionreport("NoApplicableCode", "service",
                                                           FAILED)
                self.http_status = 500
                return
            if isinstance(failure, InvalidQuery) and exception is not None:
                exception[0].text = failure.user_msg
            self.http_status = guard.STATUS.get(code, 400)
        elif name == "Capabilities":
            self._link_service_record(root)
            if etree.QName(root).namespace != CSW2:
                self._capabilities_30(root)
        elif name == "GetRecordsResponse" and self.prepared.validate:
            self.response = self._acknowledgement()
        elif name == "GetRecordsResponse":
            _paging(root, int(self.kvp.get("startposition") or 1), self.search.hits)
            namespace = etree.QName(root).namespace
            for request_id in root.findall(f"{{{CSW2}}}RequestId"):
                request_id.tag = f"{{{namespace}}}RequestId"  # pycsw writes CSW 2.0.2's

    def _capabilities_30(self, root: etree._Element) -> None:
        for constraint in root.iter(f"{{{OWS2}}}Constraint"):
            if constraint.get("name") == "OpenSearchDescriptionDocument":
                for value in constraint.iter(f"{{{OWS2}}}Value"):
                    value.text = self.catalogue.locator.links.opensearch_description()
        for extended in root.iter(f"{{{INSPIRE_DS}}}ExtendedCapabilities"):
            parent = extended.getparent()
            wrapper = etree.Element(f"{{{OWS2}}}ExtendedCapabilities")
            parent.replace(extended, wrapper)
            wrapper.append(extended)

    def _link_service_record(self, root: etree._Element) -> None:
        """The service's own record as the optional ``MetadataUrl`` that closes the INSPIRE
        extended capabilities (scenario 2); pycsw writes every other element."""
        url = self.config.get("metadata:inspire", "metadata_url", fallback=None)
        if not url:
            return
        for extended in root.iter(f"{{{INSPIRE_DS}}}ExtendedCapabilities"):
            link = etree.SubElement(extended, f"{{{INSPIRE_COMMON}}}MetadataUrl")
            etree.SubElement(link, f"{{{INSPIRE_COMMON}}}URL").text = url
            etree.SubElement(link, f"{{{INSPIRE_COMMON}}}MediaType").text = \
                CSW_RECORD_MEDIA_TYPE

    def _acknowledgement(self) -> etree._Element:
        node = etree.Element(f"{{{CSW2}}}Acknowledgement", nsmap={"csw": CSW2, "ows": OWS1,
                                                                   "xlink": XLINK, "xsi": XSI})
        node.set(f"{{{XSI}}}schemaLocation",
                 f"{CSW2} http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd")
        node.set("timeStamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        echoed = etree.SubElement(node, f"{{{CSW2}}}EchoedRequest")
        if self.prepared.echo is not None:
            echoed.append(self.prepared.echo)
        else:
            get = etree.SubElement(echoed, f"{{{OWS1}}}Get")
            get.set(f"{{{XLINK}}}type", "simple")
            get.set(f"{{{XLINK}}}href", f"{self.config.get('server', 'url')}?"
                    f"{self.prepared.query}")
        return node


def _tailor(model: dict[str, Any]) -> None:
    """Offer what this endpoint serves: XML only, no SOAP, no JSON, no pycsw OpenSearch."""
    operations = model["operations"]
    for name in ("GetRecords", "GetRecordById", "DescribeRecord"):
        parameters = operations.get(name, {}).get("parameters", {})
        if "outputFormat" in parameters:
            parameters["outputFormat"]["values"] = ["application/xml"]
        for key in ("outputSchema", "typeNames", "typeName"):
            if key in parameters:
                parameters[key]["values"] = _Distinct(parameters[key]["values"])
    model["constraints"]["PostEncoding"]["values"] = ["XML"]
    for name, constraint in model["constraints"].items():
        if name.startswith(CONFORMANCE) and name[len(CONFORMANCE):] in NOT_OFFERED:
            constraint["values"] = ["FALSE"]


def _paging(root: etree._Element, start: int, hits: bool) -> None:
    """numberOfRecordsReturned and nextRecord as CSW defines them (pycsw counts the page a
    hits request does not send, and points past the end at record 1)."""
    namespace = etree.QName(root).namespace
    results = root.find(f"{{{namespace}}}SearchResults")
    if results is None:
        return
    matched = int(results.get("numberOfRecordsMatched", "0"))
    returned = 0 if hits else len([c for c in results if isinstance(c.tag, str)])
    following = start + returned
    results.set("numberOfRecordsReturned", str(returned))
    results.set("nextRecord", str(following) if following <= matched else "0")
    if results.get("status") is not None:  # CSW 3.0
        results.set("status", "none" if matched == 0 else
                    "complete" if returned == matched else "subset")


class CswApp:
    """The WSGI application at ``/csw``."""

    def __init__(self, services: Services):
        self.catalogue = Catalogue(services)
        self.config = pycsw_config(services.settings, self.catalogue.series)
        self.url = csw_url(services.settings)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        headers: list[tuple[str, str]] = []
        try:
            if environ.get("PATH_INFO", "") not in ("", "/"):
                raise CswError("NoApplicableCode", "request",
                               f"no such resource: the catalogue service is at {self.url}",
                               status=404)
            if method not in ("GET", "POST"):
                headers.append(("Allow", "GET, POST"))
                raise CswError("OperationNotSupported", "request",
                               f"HTTP {method[:16]} is not supported: use GET or POST",
                               status=405)
            prepared = guard.prepare(environ, self.catalogue)
        except CswError as err:
            return self._send(start_response, err.status, exception_report(err), headers)
        except Exception:  # a request the guard could not read is still the request's fault
            LOGGER.exception("CSW request could not be read")
            err = CswError("InvalidParameterValue", "request", "the request could not be read")
            return self._send(start_response, err.status, exception_report(err), headers)
        try:
            server = CswServer(parser(self.config), prepared.environ, self.catalogue, prepared)
            _, body = server.dispatch_wsgi()
            status, content_type = server.http_status, str(server.contenttype)
        except Exception:
            LOGGER.exception("CSW request failed")
            err = CswError("NoApplicableCode", "service", FAILED, status=500)
            err.version = prepared.version
            return self._send(start_response, 500, exception_report(err), headers)
        return self._send(start_response, status, body, headers, content_type)

    @staticmethod
    def _send(start_response: Callable[..., Any], status: int, body: bytes,
              headers: list[tuple[str, str]],
              content_type: str = "application/xml; charset=UTF-8") -> list[bytes]:
        phrase = HTTPStatus(status).phrase
        start_response(f"{status} {phrase}", [("Content-Type", content_type),
                                              ("Content-Length", str(len(body))), *headers])
        return [body]


def exception_report(err: CswError) -> bytes:
    """An OWS exception report in the version the request spoke (3.0 when unknown)."""
    if err.version == "2.0.2":
        ows, version, schema = OWS1, "1.2.0", "ows/1.0.0/owsExceptionReport.xsd"
    else:
        ows, version, schema = OWS2, "3.0.0", "ows/2.0/owsExceptionReport.xsd"
    root = etree.Element(f"{{{ows}}}ExceptionReport", nsmap={"ows": ows, "xsi": XSI})
    root.set("version", version)
    if ows == OWS1:
        root.set("language", "en-US")
    else:
        root.set("{http://www.w3.org/XML/1998/namespace}lang", "en-US")
    root.set(f"{{{XSI}}}schemaLocation", f"{ows} http://schemas.opengis.net/{schema}")
    exception = etree.SubElement(root, f"{{{ows}}}Exception", exceptionCode=err.code,
                                 locator=err.locator)
    etree.SubElement(exception, f"{{{ows}}}ExceptionText").text = err.text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
