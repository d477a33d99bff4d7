"""Service metadata records (ISO 19139 / ISO 19119) of the platform's own network services.

:mod:`.descriptions` says what each service is (from the settings); :mod:`.iso` writes its
INSPIRE service metadata record. The catalogues (CSW, OGC API Records) publish the records next
to the collections' series records, and each service's capabilities link its record
(``MetadataUrl``) where its protocol has a place for one.
"""

from __future__ import annotations

from ogc_server.service_metadata.descriptions import (
    CSW_RECORD_MEDIA_TYPE,
    KEYS,
    NETWORK_SERVICES,
    Operation,
    ServiceDescription,
    describe_service,
    describe_services,
    identifier_prefix,
    metadata_date,
    served_collections,
    service_identifier,
    service_record_url,
)
from ogc_server.service_metadata.iso import service_record

__all__ = [
    "CSW_RECORD_MEDIA_TYPE", "KEYS", "NETWORK_SERVICES", "Operation", "ServiceDescription",
    "describe_service", "describe_services", "identifier_prefix", "metadata_date",
    "served_collections", "service_identifier", "service_record", "service_record_url",
]
