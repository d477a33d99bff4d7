"""Reading the metadata of Sentinel products: dispatch on the product name, shared helpers.

:func:`read_product` turns a product folder (``.SAFE`` / ``.SEN3``) or a Sentinel-5P netCDF
file into a :class:`~ogc_server.archive.model.Product`. Anything unreadable or inconsistent
raises :class:`~ogc_server.errors.InvalidProduct` with a reason a human can act on; no
parser, lookup or conversion error escapes as anything else.

The mission readers (:mod:`.sentinel1` ... :mod:`.sentinel5p`) use the helpers of this module:
time parsing, the error guard, and (from :mod:`.footprints`) footprint normalisation.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from lxml import etree
from shapely.errors import ShapelyError

from ogc_server.archive.model import Product
from ogc_server.errors import InvalidProduct
from ogc_server.ingest.footprints import footprint, latlon_commas, latlon_pairs
from ogc_server.ingest.xmlsafe import XMLError, parse_xml

__all__ = [
    "check_period",
    "footprint",
    "invalid",
    "latlon_commas",
    "latlon_pairs",
    "name_time",
    "parse_time",
    "product_name",
    "read_product",
    "read_xml",
    "reading",
    "relative_href",
    "safe_root_in_zip",
    "same_second",
    "to_float",
    "to_int",
]

_NAME_SUFFIXES = (".safe", ".sen3", ".nc")
_S1_NAME = re.compile(r"S1[A-D]_")
_S2_NAME = re.compile(r"S2[A-D]_MSI")
_S3_NAME = re.compile(r"S3[A-D]_")
_S5P_NAME = re.compile(r"S5P_")
_S2_METADATA = ("MTD_MSIL1C.xml", "MTD_MSIL2A.xml")
_DRIVE = re.compile(r"[A-Za-z]:")


# --------------------------------------------------------------------------------------------
# Dispatch


def product_name(path: Path | str) -> str:
    """The product name of ``path``: its last component without ``.zip`` and ``.SAFE``,
    ``.SEN3`` or ``.nc`` (case-insensitive)."""
    name = PurePosixPath(os.fspath(path).replace("\\", "/").rstrip("/")).name
    if name.lower().endswith(".zip"):
        name = name[:-4]
    lowered = name.lower()
    for suffix in _NAME_SUFFIXES:
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name


def read_product(path: Path | str) -> Product:
    """Read the product at ``path`` (a ``.SAFE``/``.SEN3`` folder or an ``S5P_*.nc`` file).

    A folder whose name lacks the extension is accepted when it holds the mission's
    manifest. Raises :class:`InvalidProduct` for anything that cannot be read.
    """
    path = Path(path)
    name = product_name(path)
    reader = _reader_for(path, name)
    with reading(name):
        return reader(path)


def _reader_for(path: Path, name: str) -> Callable[[Path], Product]:
    # The mission modules import this one; import them when first needed.
    from ogc_server.ingest import sentinel1, sentinel2, sentinel3, sentinel5p

    try:
        is_dir = path.is_dir()
        is_file = not is_dir and path.is_file()
    except OSError as exc:
        raise invalid(name, f"cannot access {path.name}: {exc.strerror or exc}") from None
    lowered = path.name.lower()
    if not is_dir and not is_file:
        raise invalid(name, f"{path.name} does not exist")
    if is_file:
        if lowered.endswith(".zip"):
            raise invalid(name, f"{path.name} is a zip archive; unpack it before reading")
        if _S5P_NAME.match(name) and lowered.endswith(".nc"):
            return sentinel5p.read
        raise invalid(name, f"unknown product file {path.name!r} (expected S5P_*.nc)")
    has_suffix = lowered.endswith((".safe", ".sen3"))
    if _S1_NAME.match(name) and (lowered.endswith(".safe") or _has(path, "manifest.safe")):
        return sentinel1.read
    if _S2_NAME.match(name) and (
        lowered.endswith(".safe") or _has(path, "manifest.safe", *_S2_METADATA)
    ):
        return sentinel2.read
    if _S3_NAME.match(name) and (lowered.endswith(".sen3") or _has(path, "xfdumanifest.xml")):
        return sentinel3.read
    if (_S1_NAME.match(name) or _S2_NAME.match(name) or _S3_NAME.match(name)) and not has_suffix:
        raise invalid(name, f"folder {path.name!r} holds no manifest of a Sentinel product")
    raise invalid(name, f"unknown mission or product name {path.name!r}")


def _has(folder: Path, *names: str) -> bool:
    return any((folder / n).is_file() for n in names)


def safe_root_in_zip(names: list[str]) -> str:
    """The single top folder of a product zip, from the zip's member names.

    Raises :class:`InvalidProduct` for an empty member list, an absolute member, a member
    with a ``..`` component or a drive letter, members outside one common top folder, or a
    top folder that is a file.
    """
    roots: set[str] = set()
    nested = False
    for raw in names:
        member = raw.replace("\\", "/")
        if not member or member in ("/", "./"):
            raise invalid("zip", f"member {raw!r} has no name")
        if member.startswith("/") or _DRIVE.match(member):
            raise invalid("zip", f"member {raw!r} is an absolute path")
        parts = [p for p in member.split("/") if p not in ("", ".")]
        if not parts:
            raise invalid("zip", f"member {raw!r} has no name")
        if ".." in parts:
            raise invalid("zip", f"member {raw!r} leaves the product folder ('..')")
        roots.add(parts[0])
        if len(parts) > 1:
            nested = True
        elif not member.endswith("/"):
            raise invalid("zip", f"member {raw!r} lies outside the product folder")
    if not roots:
        raise invalid("zip", "the zip archive is empty")
    if len(roots) > 1:
        listed = ", ".join(sorted(roots)[:5])
        raise invalid("zip", f"the zip archive has {len(roots)} top folders ({listed})")
    if not nested:
        raise invalid("zip", "the zip archive holds an empty folder")
    return roots.pop()


# --------------------------------------------------------------------------------------------
# Errors


def invalid(name: str, reason: str) -> InvalidProduct:
    """An :class:`InvalidProduct` for product ``name`` with a human ``reason``."""
    return InvalidProduct(f"{name}: {reason}", locator=name)


@contextmanager
def reading(name: str) -> Iterator[None]:
    """Turn every reading error inside the block into :class:`InvalidProduct` for ``name``."""
    try:
        yield
    except InvalidProduct:
        raise
    except XMLError as exc:
        raise invalid(name, f"invalid XML: {exc}") from exc
    except FileNotFoundError as exc:
        missing = Path(exc.filename).name if exc.filename else "a file"
        raise invalid(name, f"missing {missing}") from exc
    except OSError as exc:
        raise invalid(name, f"cannot read: {exc.strerror or exc}") from exc
    except (
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        ArithmeticError,
        etree.LxmlError,
        ShapelyError,
    ) as exc:
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, KeyError | IndexError):
            reason = f"missing metadata element {reason}"
        raise invalid(name, reason) from exc


def relative_href(href: str) -> str | None:
    """A manifest ``href`` as a path relative to the product folder, or None when it is
    absolute or leaves the folder."""
    parts = [p for p in href.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or href.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        return None
    return "/".join(parts)


def read_xml(path: Path, what: str | None = None) -> etree._Element:
    """Parse the XML file ``path`` with the hardened parser.

    A missing file raises :class:`FileNotFoundError` naming ``what`` (or the file name).
    """
    try:
        return parse_xml(path)
    except FileNotFoundError:
        raise FileNotFoundError(2, "missing", what or path.name) from None


# --------------------------------------------------------------------------------------------
# Values


def parse_time(text: object, what: str) -> datetime:
    """A timezone-aware UTC datetime from ISO 8601 (``Z``, offset or none = UTC), the
    Earth Explorer ``UTC=`` form or the compact ``YYYYMMDDTHHMMSS`` form."""
    if text is None or not str(text).strip():
        raise ValueError(f"{what} is missing")
    value = str(text).strip()
    if value.startswith("UTC="):
        value = value[4:]
    try:
        result = datetime.fromisoformat(value)
    except ValueError:
        try:
            result = datetime.strptime(value, "%Y%m%dT%H%M%S")
        except ValueError:
            raise ValueError(f"{what} is not a date-time: {text!r}") from None
    if result.tzinfo is None:
        return result.replace(tzinfo=UTC)
    return result.astimezone(UTC)


def to_int(text: str | None, what: str) -> int:
    """An integer metadata value; ``what`` names it in the error."""
    if text is None or not text.strip():
        raise ValueError(f"{what} is missing")
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{what} is not an integer: {text!r}") from None


def to_float(text: str | None, what: str) -> float:
    """A finite number metadata value; ``what`` names it in the error."""
    if text is None or not text.strip():
        raise ValueError(f"{what} is missing")
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"{what} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} is not a finite number: {text!r}")
    return value


def check_period(start: datetime, end: datetime) -> None:
    """Refuse a period that ends before it starts."""
    if start > end:
        raise ValueError(f"start {start.isoformat()} is after end {end.isoformat()}")


def same_second(from_name: datetime, from_metadata: datetime) -> bool:
    """Whether a time of a product name (whole seconds, truncated or rounded) matches the
    metadata's."""
    return abs((from_metadata - from_name).total_seconds()) <= 1.0


def name_time(text: str) -> datetime:
    """A ``YYYYMMDDTHHMMSS`` time of a product name, UTC."""
    return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
