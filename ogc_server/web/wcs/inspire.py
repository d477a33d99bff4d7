"""INSPIRE download-service extended capabilities of the WCS (Technical Guidance for Download
Services, WCS 2.0 profile, scenario 1: the service metadata lives in the discovery service).

``inspire_dls:ExtendedCapabilities`` goes last in ``ows:OperationsMetadata``. It holds the
link to the service metadata record (``MetadataUrl``, a CSW GetRecordById of the record
:mod:`ogc_server.service_metadata` makes, ``EOP:CODE-DE:SERVICE:WCS``), the languages
(English only: every text the service writes is English), and one
``SpatialDataSetIdentifier`` per data set served: the collections whose products are
coverages, with the unique resource identifier (code and namespace) of the collection's
INSPIRE record in ``metadata/``, so that clients tie the service to the data set metadata.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from lxml import etree

from ogc_server.archive.model import Collection
from ogc_server.ingest.xmlsafe import XMLError, parse_xml
from ogc_server.links import Links
from ogc_server.service_metadata import (
    CSW_RECORD_MEDIA_TYPE,
    served_collections,
    service_record_url,
)
from ogc_server.settings import Settings

LOGGER = logging.getLogger(__name__)

DLS = "http://inspire.ec.europa.eu/schemas/inspire_dls/1.0"
COMMON = "http://inspire.ec.europa.eu/schemas/common/1.0"
OWS = "http://www.opengis.net/ows/2.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{DLS} http://inspire.ec.europa.eu/schemas/inspire_dls/1.0/inspire_dls.xsd"
GMD = "http://www.isotc211.org/2005/gmd"
GCO = "http://www.isotc211.org/2005/gco"
LANGUAGE = "eng"
_IDENTIFIER = (f"{{{GMD}}}identificationInfo/*/{{{GMD}}}citation/{{{GMD}}}CI_Citation/"
               f"{{{GMD}}}identifier/*")


def extended_capabilities(parent: etree._Element, settings: Settings) -> etree._Element:
    """Append ``ows:ExtendedCapabilities`` with the INSPIRE elements to ``parent``."""
    links = Links(settings.public_url)
    wrapper = etree.SubElement(parent, f"{{{OWS}}}ExtendedCapabilities")
    root = etree.SubElement(wrapper, f"{{{DLS}}}ExtendedCapabilities",
                            nsmap={"inspire_dls": DLS, "inspire_common": COMMON})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    # MetadataUrl's schema type is resourceLocatorType: no xsi:type needed, and none that a
    # validator without the INSPIRE schemas would have to resolve
    url = etree.SubElement(root, f"{{{COMMON}}}MetadataUrl")
    _text(url, "URL", service_record_url(settings, "wcs"))
    _text(url, "MediaType", CSW_RECORD_MEDIA_TYPE)
    supported = etree.SubElement(root, f"{{{COMMON}}}SupportedLanguages")
    _text(etree.SubElement(supported, f"{{{COMMON}}}DefaultLanguage"), "Language", LANGUAGE)
    _text(etree.SubElement(root, f"{{{COMMON}}}ResponseLanguage"), "Language", LANGUAGE)
    for collection in served_collections(settings, "wcs"):
        found = _identifier(settings, collection)
        if found is None:
            continue
        code, namespace = found
        node = etree.SubElement(root, f"{{{DLS}}}SpatialDataSetIdentifier",
                                metadataURL=links.csw_record(collection.identifier))
        _text(node, "Code", code)
        if namespace:
            _text(node, "Namespace", namespace)
    return wrapper


def _text(parent: etree._Element, tag: str, text: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{COMMON}}}{tag}")
    node.text = text
    return node


def _identifier(settings: Settings, collection: Collection) -> tuple[str, str] | None:
    """(code, namespace) of the collection's record; without a record, its own identifier."""
    if not collection.metadata_file:
        namespace, _, code = collection.identifier.rpartition(":")
        return code, namespace
    path = settings.metadata_dir / collection.metadata_file
    try:
        return _read_identifier(path, path.stat().st_mtime)
    except (OSError, XMLError) as exc:
        LOGGER.warning("no data set identifier in %s: %s", path, exc)
        return None


@lru_cache(maxsize=64)
def _read_identifier(path: Path, mtime: float) -> tuple[str, str] | None:
    """The first ``RS_Identifier``/``MD_Identifier`` of the record's citation."""
    root = parse_xml(path)
    for identifier in root.iterfind(_IDENTIFIER):
        code = identifier.findtext(f"{{{GMD}}}code/{{{GCO}}}CharacterString")
        if code is None:  # an anchor
            code = identifier.findtext(f"{{{GMD}}}code/*")
        space = identifier.findtext(f"{{{GMD}}}codeSpace/{{{GCO}}}CharacterString") or ""
        if code:
            return code.strip(), space.strip()
    return None
