"""The records of the platform's own network services, as pycsw sees them.

Each service of :mod:`ogc_server.service_metadata` is one record of type ``service``: its ISO
19139 / ISO 19119 record is made from the settings when the catalogue is built (so it names the
deployment's address), its Dublin Core view from the same description. Like the collections'
series records they are matched in memory (:func:`plugins.pycsw_.matching.evaluate` on
:attr:`ServiceFacts.values`), and come before the products in every answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from lxml import etree
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from ogc_server.service_metadata import (
    ServiceDescription,
    describe_services,
    metadata_date,
    service_record,
)
from ogc_server.settings import Settings
from plugins.pycsw_.records import Link, Record

SERVICE = "service"


@dataclass(slots=True)
class ServiceFacts:
    """A service's description, its ISO record, and the values a filter is matched on."""

    description: ServiceDescription
    root: etree._Element
    identifier: str
    modified: datetime
    bbox: BaseGeometry
    values: dict[str, Any]


def service_facts(settings: Settings) -> list[ServiceFacts]:
    """One entry per service, in the order of :data:`ogc_server.service_metadata.KEYS`."""
    when = metadata_date(settings)
    modified = datetime.combine(when, time(), tzinfo=UTC)
    found = []
    for service in describe_services(settings):
        root = service_record(service, settings.contact, settings.public_url, when)
        geometry = box(*service.bbox)
        keywords = [service.category, *service.keywords]
        found.append(ServiceFacts(
            description=service, root=root, identifier=service.identifier, modified=modified,
            bbox=geometry,
            values={
                "identifier": service.identifier, "title": service.title,
                "abstract": service.abstract,
                "anytext": [" ".join(t.split()) for t in root.itertext() if t.strip()],
                "subject": keywords, "type": SERVICE, "format": None, "modified": modified,
                "creationdate": None, "language": "eng", "parentidentifier": None,
                "topiccategory": [], "tempextent_begin": None, "tempextent_end": None,
                "bbox": geometry,
            },
        ))
    return found


def record(facts: ServiceFacts, publisher: str) -> Record:
    """The pycsw record of a service (Dublin Core attributes; :meth:`Record.iso` its ISO)."""
    service = facts.description
    root = facts.root
    stamp = facts.modified.strftime("%Y-%m-%dT%H:%M:%SZ")
    link = Link(service.capabilities, service.protocol, service.title,
                f"Capabilities of the {service.title}", "information")
    return Record(
        lambda: root,
        identifier=service.identifier, title=service.title, type=SERVICE,
        abstract=service.abstract,
        keywords=",".join(w.replace(",", ";") for w in facts.values["subject"]),
        links=link.dc(), date_modified=stamp, insert_date=stamp, date=stamp,
        wkt_geometry=facts.bbox.wkt, language="eng", publisher=publisher, creator=publisher,
        accessconstraints="otherRestrictions", servicetype=service.service_type,
        servicetypeversion=",".join(service.versions), couplingtype=service.coupling,
        operateson=",".join(c.identifier for c in service.operates_on) or None,
    )
