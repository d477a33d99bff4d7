"""Spellings of text parameter values brought to the catalogue's: ``S2A`` -> ``Sentinel-2A``,
``l1c`` -> ``Level-1C``, ``VV+VH`` -> ``VV, VH``, ``T32UNE`` -> ``32UNE``, upper-case codes."""

from __future__ import annotations

import re
from collections.abc import Callable


def _canonical_platform(text: str) -> str:
    match = re.fullmatch(r"(?i)\s*(?:sentinel-?|s)(\d)(p|[a-d])?\s*", text)
    if not match:
        return text.strip()
    number, suffix = match[1], (match[2] or "").upper()
    if suffix == "P":
        return f"Sentinel-{number}P"
    return f"Sentinel-{number}{suffix}"


def _canonical_level(text: str) -> str:
    match = re.fullmatch(r"(?i)\s*(?:level-?|l)(\w{1,3})\s*", text)
    return f"Level-{match[1].upper()}" if match else text.strip()


def _channels(text: str) -> str:
    parts = [p for p in re.split(r"[\s,+/]+", text.upper()) if p]
    return ", ".join(parts)


def _tile(text: str) -> str:
    text = text.strip().upper()
    return text[1:] if len(text) == 6 and text.startswith("T") else text


NORMALISERS: dict[str, Callable[[str], str]] = {
    "platform": _canonical_platform,
    "platformSerialIdentifier": lambda t: t.strip().upper(),
    "instrument": lambda t: t.strip().upper(),
    "productType": lambda t: t.strip().upper(),
    "processingLevel": _canonical_level,
    "orbitDirection": lambda t: t.strip().upper(),
    "polarisationMode": lambda t: t.strip().upper(),
    "polarisationChannels": _channels,
    "antennaLookDirection": lambda t: t.strip().upper(),
    "productionStatus": lambda t: t.strip().upper(),
    "tileId": _tile,
}
