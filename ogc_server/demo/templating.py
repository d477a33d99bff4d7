"""Real product metadata files as templates: load, re-stamp with lxml, write.

The demo products are made from the metadata of real products (``templates/``, see its
PROVENANCE.md). A template is parsed once per process; each product gets a deep copy in which

* the identity tokens of the template product (its name, datatake, orbit, tile ...) are replaced
  wherever they occur in text or attributes (:func:`replace_tokens`),
* every date-time value is moved by the time between the template's sensing and the new one, so
  processing and auxiliary times keep their real spacing (:func:`shift_times`),
* the product-specific fields (footprint, orbit numbers, cloud cover, sizes, checksums ...) are
  set explicitly by the mission modules.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lxml import etree

TEMPLATES = Path(str(resources.files("ogc_server.demo") / "templates"))

_DATETIME = re.compile(
    r"^(?P<prefix>UTC=)?(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})"
    r"(?P<frac>\.\d{1,9})?(?P<zone>Z)?$"
)
_COMPACT = re.compile(r"^(\d{8})T(\d{6})$")


def template_path(relative: str) -> Path:
    path = TEMPLATES / relative
    if not path.exists():
        raise FileNotFoundError(f"demo template missing: {relative}")
    return path


_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>\s*")


@lru_cache(maxsize=32)
def _parsed(relative: str) -> tuple[etree._ElementTree, tuple[bytes, bytes]]:
    path = template_path(relative)
    # our own shipped templates; still no entities, no network
    parser = etree.XMLParser(remove_blank_text=False, huge_tree=True, resolve_entities=False,
                             no_network=True, load_dtd=False)
    raw = path.read_bytes()
    match = _DECLARATION.match(raw[:512])
    declaration = match.group(0) if match else b""
    ending = b"\n" if raw.endswith(b"\n") else b""
    return etree.parse(str(path), parser), (declaration, ending)


def load(relative: str,
         prepare: Callable[[etree._ElementTree], None] | None = None) -> etree._ElementTree:
    """A private copy of a template's tree.

    ``prepare`` (a module-level function) edits the template once per process, e.g. to drop
    the long lists every product shortens anyway; products get copies of the prepared tree.
    """
    if prepare is None:
        return copy.deepcopy(_parsed(relative)[0])
    return copy.deepcopy(_prepared(relative, prepare))


@lru_cache(maxsize=32)
def _prepared(relative: str, prepare: Callable[[etree._ElementTree], None]
              ) -> etree._ElementTree:
    tree = copy.deepcopy(_parsed(relative)[0])
    prepare(tree)
    return tree


def local(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def iter_local(root: etree._Element | etree._ElementTree, name: str) -> Iterable[etree._Element]:
    """Elements named ``name`` in any (or no) namespace, in document order."""
    return root.iter(f"{{*}}{name}")


def first(root: etree._Element | etree._ElementTree, name: str) -> etree._Element:
    for element in iter_local(root, name):
        return element
    raise KeyError(f"template has no <{name}>")


def set_text(root, name: str, value: str, *, where: Callable[[etree._Element], bool] | None = None,
             required: bool = True) -> int:
    """Set the text of every element named ``name`` (optionally filtered); returns the count."""
    count = 0
    for element in list(iter_local(root, name)):
        if where is None or where(element):
            element.text = value
            count += 1
    if required and not count:
        raise KeyError(f"template has no <{name}>")
    return count


def replace_tokens(tree: etree._ElementTree, tokens: Mapping[str, str]) -> None:
    """Replace each token (longest first) in all text, tails, attribute values and comments."""
    items = sorted(((k, v) for k, v in tokens.items() if k and k != v), key=lambda kv: -len(kv[0]))
    if not items:
        return
    pattern = re.compile("|".join(re.escape(k) for k, _ in items))
    table = dict(items)

    def sub(text: str | None) -> str | None:
        if not text:
            return text
        return pattern.sub(lambda m: table[m.group(0)], text)

    for element in tree.getroot().iter():
        element.text = sub(element.text)
        element.tail = sub(element.tail)
        if isinstance(element.tag, str):
            for key, value in element.attrib.items():
                new = sub(value)
                if new != value:
                    element.set(key, new)


def shift_value(text: str, delta: timedelta) -> str | None:
    """``text`` moved by ``delta`` if it is exactly a date-time, else None (format kept)."""
    m = _DATETIME.match(text)
    if m:
        frac = m.group("frac") or ""
        base = datetime.fromisoformat(f"{m.group('date')}T{m.group('time')}{frac[:7]}")
        moved = base + delta
        out = moved.strftime("%Y-%m-%dT%H:%M:%S")
        if frac:
            digits = len(frac) - 1
            micro = f"{moved.microsecond:06d}"
            out += "." + (micro[:digits] if digits <= 6 else micro + frac[7:])
        return (m.group("prefix") or "") + out + (m.group("zone") or "")
    m = _COMPACT.match(text)
    if m:
        moved = datetime.strptime(text, "%Y%m%dT%H%M%S") + delta
        return moved.strftime("%Y%m%dT%H%M%S")
    return None


def shift_times(tree: etree._ElementTree, delta: timedelta) -> None:
    """Move every element text or attribute that is exactly a date-time by ``delta``."""
    for element in tree.getroot().iter():
        if not isinstance(element.tag, str):
            continue
        text = element.text
        if text and text[:1].isdigit() or text and text.startswith("UTC="):
            moved = shift_value(text.strip(), delta)
            if moved is not None:
                element.text = text.replace(text.strip(), moved)
        for key, value in element.attrib.items():
            if value[:1].isdigit():
                moved = shift_value(value, delta)
                if moved is not None:
                    element.set(key, moved)


def to_bytes(tree: etree._ElementTree, template: str | None = None) -> bytes:
    """The document, with the XML declaration and final line break of ``template``."""
    if template is None:
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    declaration, ending = _parsed(template)[1]
    return declaration + etree.tostring(tree, xml_declaration=False, encoding="UTF-8") + ending


def write(tree: etree._ElementTree, path: Path, template: str | None = None) -> bytes:
    data = to_bytes(tree, template)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


# Formatting helpers ---------------------------------------------------------------------------


def iso(moment: datetime, digits: int = 6, zone: str = "") -> str:
    """``2024-05-01T10:20:30.123456`` with ``digits`` fraction digits (0: none)."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{moment.microsecond:06d}"[:digits]
    return text + zone


def compact(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


def digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
