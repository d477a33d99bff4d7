"""INSPIRE view-service metadata of the WMS: the extended capabilities of WMS 1.3.0.

The capabilities carry the service's metadata themselves (INSPIRE Technical Guidance for view
services, scenario 2: the full set in ``inspire_vs:ExtendedCapabilities``), written by MapProxy
from its ``inspire_md`` option (type ``embedded``): resource locator (these capabilities),
temporal reference and metadata date, conformity with the network services regulation (not
evaluated), the metadata point of contact, the mandatory keyword ``infoMapAccessService``, the
INSPIRE themes and the languages (English only); and the optional ``MetadataUrl``: the CSW
GetRecordById of the service's own record in the catalogue (``EOP:CODE-DE:SERVICE:WMS``,
:mod:`ogc_server.service_metadata`), which states the same facts.

The facts come from the same sources as the service record and the CSW's INSPIRE
discovery-service capabilities: the contact of the settings, the service description and
metadata date of :mod:`ogc_server.service_metadata`, and the themes of the collections'
INSPIRE records (``metadata/``).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from ogc_server.ingest.xmlsafe import XMLError, parse_xml
from ogc_server.service_metadata import (
    CSW_RECORD_MEDIA_TYPE,
    NETWORK_SERVICES,
    describe_service,
    metadata_date,
    service_record_url,
)
from ogc_server.settings import Settings

INSPIRE_THEME = "http://inspire.ec.europa.eu/theme/"
GMX_ANCHOR = "{http://www.isotc211.org/2005/gmx}Anchor"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
NETWORK_SERVICES_REGULATION = {
    "title": NETWORK_SERVICES[0],
    "date_of_publication": NETWORK_SERVICES[1],
    "uris": ["OJ:L:2009:274:0009:0018:EN:PDF"],
    "resource_locators": [{
        "url": "https://eur-lex.europa.eu/LexUriServ/LexUriServ.do?"
               "uri=OJ:L:2009:274:0009:0018:EN:PDF",
        "media_type": "application/pdf"}],
    "degree": "notEvaluated",
}
GEMET_THEMES = {"title": "GEMET - INSPIRE themes, version 1.0",
                "date_of_publication": "2008-06-01"}


def inspire_md(settings: Settings) -> dict[str, Any]:
    """MapProxy's ``services.wms.inspire_md`` for the platform (scenario 2, embedded)."""
    date = metadata_date(settings).isoformat()
    themes = _themes(settings)
    contact = settings.contact
    service = describe_service(settings, "wms")
    return {
        "type": "embedded",
        "resource_locators": [{"url": service.capabilities, "media_type": service.media_type}],
        "temporal_reference": {"date_of_last_revision": date},
        "conformities": [NETWORK_SERVICES_REGULATION],
        # MapProxy's template writes these texts as they are: escaped here
        "metadata_points_of_contact": [{"organisation_name": escape(contact.organisation),
                                        "email": escape(contact.email)}],
        "mandatory_keywords": [service.category],
        "keywords": [{**GEMET_THEMES, "keyword_value": escape(theme)}
                     for theme in themes or ["Orthoimagery"]],
        "metadata_date": date,
        "languages": {"default": "eng"},
        "metadata_url": {"url": service_record_url(settings, "wms"),
                         "media_type": CSW_RECORD_MEDIA_TYPE},
    }


def _themes(settings: Settings) -> list[str]:
    """The INSPIRE themes of the collections' records; unreadable records are skipped
    (settings validation reports missing ones)."""
    themes: list[str] = []
    for collection in settings.collections:
        if not collection.metadata:
            continue
        try:
            root = parse_xml(settings.metadata_dir / collection.metadata)
        except (OSError, XMLError):
            continue
        for anchor in root.iter(GMX_ANCHOR):
            if (anchor.get(XLINK_HREF, "").startswith(INSPIRE_THEME) and anchor.text
                    and anchor.text.strip() not in themes):
                themes.append(anchor.text.strip())
    return themes
