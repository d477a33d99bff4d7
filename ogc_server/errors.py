"""Domain errors. They carry no HTTP: each edge maps them once to its protocol's answer."""

from __future__ import annotations


class OgcServerError(Exception):
    """Root of the project's errors. ``user_msg`` is safe to show a client; ``str()`` logs."""

    def __init__(self, msg: str, *, user_msg: str | None = None, locator: str | None = None):
        super().__init__(msg)
        self.user_msg = user_msg or msg
        self.locator = locator


class ConfigError(OgcServerError, ValueError):
    """The configuration is invalid; the message names the file and the key."""


class NotFound(OgcServerError, LookupError):
    """A thing that was asked for by id does not exist."""


class ProductNotFound(NotFound):
    pass


class CollectionNotFound(NotFound):
    pass


class InvalidQuery(OgcServerError, ValueError):
    """A query is malformed or names something unknown; ``locator`` names the parameter."""


class Conflict(OgcServerError):
    pass


class QuotaExceeded(OgcServerError):
    pass


class ProductOffline(OgcServerError):
    """The product is in the catalogue but its data is not online."""


class InvalidProduct(OgcServerError, ValueError):
    """A product offered for ingestion is unreadable or breaks a rule; it goes to quarantine."""


class NotKept(OgcServerError):
    """A valid product that the archive's collections or retention policy do not keep."""
