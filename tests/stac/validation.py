"""STAC validation offline: stac-validator with every schema URL mapped to ``tests/schemas/stac``.

The folder mirrors the schemas' URLs (``https://<host>/<path>`` -> ``<host>/<path>``), so the
map is built by walking it. While validating, connections to anything but the loopback
interface are refused: a schema that is not copied fails validation instead of being fetched.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any
from unittest import mock

from stac_validator.validate import StacValidate

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas" / "stac"
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@lru_cache(maxsize=1)
def schema_map() -> dict[str, str]:
    """Official schema URL -> local copy."""
    return {f"https://{path.relative_to(SCHEMAS).as_posix()}": str(path)
            for path in sorted(SCHEMAS.rglob("*.json"))}


@contextmanager
def offline() -> Iterator[None]:
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if host not in _LOOPBACK:
            raise OSError(f"no network while validating (tried {host})")
        return real_connect(self, address)

    with mock.patch.object(socket.socket, "connect", connect), \
            mock.patch.object(socket, "getaddrinfo", side_effect=OSError("no network")):
        yield


def _validate(document: dict[str, Any]) -> StacValidate:
    validator = StacValidate(schema_map=schema_map())
    with offline():
        validator.validate_dict(document)
    return validator


def stac_errors(document: dict[str, Any]) -> list[str]:
    """Why ``document`` (Item, Collection or Catalog) is not valid STAC; empty when it is."""
    validator = _validate(document)
    if validator.valid:
        return []
    return [f"{m.get('error_type')}: {m.get('error_message')} ({m.get('failed_schema', '')})"
            for m in validator.message]


def validated_schemas(document: dict[str, Any]) -> list[str]:
    """The official URLs of the schemas ``document`` was checked against."""
    local = {v: k for k, v in schema_map().items()}
    return [local.get(s, s) for m in _validate(document).message for s in m.get("schema", [])]
