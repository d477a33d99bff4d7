"""INSPIRE view-service metadata of the WMS: the extended capabilities of WMS 1.3.0.

The platform keeps no separate ISO record for the view service, so the capabilities carry the
service's metadata themselves (INSPIRE Technical Guidance for view services, scenario 2: the
full set in ``inspire_vs:ExtendedCapabilities``), written by MapProxy from its ``inspire_md``
option (type ``embedded``): resource locator (these capabilities), temporal reference and
metadata date, conformity with the network services regulation (not evaluated), the metadata
point of contact, the mandatory keyword ``infoMapAccessService``, the INSPIRE themes and the
languages (English only).

The facts come from the same sources as the CSW's INSPIRE discovery-service capabilities: the
contact of the settings, and the themes and the latest ``dateStamp`` of the collections'
INSPIRE records (``metadata/``).
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from ogc_server.ingest.xmlsafe import XMLError, parse_xml
from ogc_server.settings import Settings

INSPIRE_THEME = "http://inspire.ec.europa.eu/theme/"
GMX_ANCHOR = "{http://www.isotc211.org/2005/gmx}Anchor"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
#: When no collection record gives a date.
FALLBACK_DATE = "2026-01-01"
NETWORK_SERVICES_REGULATION = {
    "title": "COMMISSION REGULATION (EC) No 976/2009 of 19 October 2009 implementing "
             "Directive 2007/2/EC of the European Parliament and of the Council as regards "
             "the Network Services",
    "date_of_publication": "2009-10-20",
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
    date, themes = _record_facts(settings)
    contact = settings.contact
    return {
        "type": "embedded",
        "resource_locators": [{
            "url": f"{settings.public_url}/wms?SERVICE=WMS&REQUEST=GetCapabilities"
                   "&VERSION=1.3.0",
            "media_type": "application/vnd.ogc.wms_xml"}],
        "temporal_reference": {"date_of_last_revision": date},
        "conformities": [NETWORK_SERVICES_REGULATION],
        # MapProxy's template writes these texts as they are: escaped here
        "metadata_points_of_contact": [{"organisation_name": escape(contact.organisation),
                                        "email": escape(contact.email)}],
        "mandatory_keywords": ["infoMapAccessService"],
        "keywords": [{**GEMET_THEMES, "keyword_value": escape(theme)}
                     for theme in themes or ["Orthoimagery"]],
        "metadata_date": date,
        "languages": {"default": "eng"},
    }


def _record_facts(settings: Settings) -> tuple[str, list[str]]:
    """The latest ``dateStamp`` (YYYY-MM-DD) and the INSPIRE themes of the collections'
    records; unreadable records are skipped (settings validation reports missing ones)."""
    dates: list[str] = []
    themes: list[str] = []
    for collection in settings.collections:
        if not collection.metadata:
            continue
        try:
            root = parse_xml(settings.metadata_dir / collection.metadata)
        except (OSError, XMLError):
            continue
        for stamp in root.iter("{http://www.isotc211.org/2005/gmd}dateStamp"):
            text = "".join(stamp.itertext()).strip()
            if len(text) >= 10:
                dates.append(text[:10])
        for anchor in root.iter(GMX_ANCHOR):
            if (anchor.get(XLINK_HREF, "").startswith(INSPIRE_THEME) and anchor.text
                    and anchor.text.strip() not in themes):
                themes.append(anchor.text.strip())
    return (max(dates) if dates else FALLBACK_DATE), themes
