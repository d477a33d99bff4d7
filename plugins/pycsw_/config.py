"""pycsw's configuration, generated from ``config/ogc-server.yml`` when the app is built.

There is no hand-edited pycsw configuration: the service's title, abstract, contact and address
come from the platform's settings (``public_url`` + ``/csw``) through the service description of
:mod:`ogc_server.service_metadata` (as the service's own record states them), the INSPIRE
discovery-service facts (themes, metadata date) from the collections' INSPIRE records.
Transactions are off; pycsw's ``maxrecords`` stays unset (the CSW default page is 10 records;
the guard refuses pages larger than ``guard.MAX_RECORDS``).
"""

from __future__ import annotations

import configparser

from ogc_server.service_metadata import describe_service, metadata_date, service_record_url
from ogc_server.settings import Settings
from plugins.pycsw_.records import CollectionFacts

REPOSITORY_SOURCE = "plugins.pycsw_.repository.ArchiveRepository"
INSPIRE_THEME = "http://inspire.ec.europa.eu/theme/"


def csw_url(settings: Settings) -> str:
    return f"{settings.public_url}/csw"


def pycsw_config(settings: Settings, series: list[CollectionFacts]) -> dict[str, dict[str, str]]:
    """The configuration pycsw 2.6 reads, as sections of options."""
    contact = settings.contact
    site = contact.url or settings.public_url
    service = describe_service(settings, "csw")
    date = metadata_date(settings).isoformat()
    themes: list[str] = []
    for facts in series:
        for anchor in facts.root.iter("{http://www.isotc211.org/2005/gmx}Anchor"):
            href = anchor.get("{http://www.w3.org/1999/xlink}href", "")
            if href.startswith(INSPIRE_THEME) and anchor.text and anchor.text not in themes:
                themes.append(anchor.text.strip())
    return {
        "server": {
            "url": csw_url(settings),
            "mimetype": "application/xml; charset=UTF-8",
            "encoding": "UTF-8",
            "language": "en-US",
            "pretty_print": "true",
            "domainquerytype": "list",
            "domaincounts": "false",
            "profiles": "apiso",
        },
        "manager": {"transactions": "false"},
        "metadata:main": {
            "identification_title": service.title,
            "identification_abstract": service.abstract,
            "identification_keywords": "catalogue,discovery,Copernicus,Sentinel,"
                                       "earth observation,INSPIRE",
            "identification_keywords_type": "theme",
            "identification_fees": "None",
            "identification_accessconstraints": "None",
            "provider_name": contact.organisation,
            "provider_url": site,
            "contact_name": contact.organisation,
            "contact_position": "Operations",
            "contact_address": "",
            "contact_city": "",
            "contact_stateorprovince": "",
            "contact_postalcode": "",
            "contact_country": "",
            "contact_phone": "",
            "contact_fax": "",
            "contact_email": contact.email,
            "contact_url": site,
            "contact_hours": "",
            "contact_instructions": "Contact by e-mail",
            "contact_role": "pointOfContact",
        },
        "repository": {"source": REPOSITORY_SOURCE},
        "metadata:inspire": {
            "enabled": "true",
            "languages_supported": "eng",
            "default_language": "eng",
            "date": date,
            "gemet_keywords": ",".join(themes) or "Orthoimagery",
            "conformity_service": "notEvaluated",
            "contact_name": contact.organisation,
            "contact_email": contact.email,
            "temp_extent": date,
            # not read by pycsw: the MetadataUrl plugins.pycsw_.app adds to its extended
            # capabilities (the CSW GetRecordById of the service's own record)
            "metadata_url": service_record_url(settings, "csw"),
        },
    }


def parser(config: dict[str, dict[str, str]]) -> configparser.ConfigParser:
    """A fresh pycsw configuration object (pycsw changes it while it answers a request)."""
    result = configparser.ConfigParser(interpolation=None)
    result.read_dict(config)
    return result
