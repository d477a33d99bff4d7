"""Errors of coverage requests. Domain errors: each door maps them to its protocol's codes."""

from __future__ import annotations

from ogc_server.errors import InvalidQuery, NotFound


class NoSuchCoverage(NotFound):
    """No coverage of that identifier (no product, or a product without a coverage)."""


class InvalidSubsetting(InvalidQuery):
    """A subset is malformed, reversed or outside the coverage's extent."""


class InvalidAxisLabel(InvalidQuery):
    """A subset or scaling names an axis the coverage does not have."""


class InvalidParameter(InvalidQuery):
    """A parameter value is malformed or not supported (``locator`` names it)."""


class TooLarge(InvalidQuery):
    """The output would exceed the configured limits; refused before reading."""
