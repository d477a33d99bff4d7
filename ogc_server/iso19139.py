"""Building ISO 19139 XML: the namespaces and the few element helpers every record maker uses.

Tags and attributes are written ``prefix:name`` (attributes ``prefix__name``, e.g.
``xlink__href``); the prefixes are those of :data:`NAMESPACES`. Which prefixes a document
declares on its root is the record maker's choice (its own ``nsmap``).
"""

from __future__ import annotations

from lxml import etree

GMD = "http://www.isotc211.org/2005/gmd"
GCO = "http://www.isotc211.org/2005/gco"
GMX = "http://www.isotc211.org/2005/gmx"
GML = "http://www.opengis.net/gml/3.2"
SRV = "http://www.isotc211.org/2005/srv"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NAMESPACES = {"gmd": GMD, "gco": GCO, "gmx": GMX, "gml": GML, "srv": SRV, "xlink": XLINK,
              "xsi": XSI}
#: ISO 19139's code lists (ISO 19115 codes).
CODELISTS = "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml"
LANGUAGES = "http://www.loc.gov/standards/iso639-2/"


def qname(prefix: str, name: str) -> str:
    return f"{{{NAMESPACES[prefix]}}}{name}"


def sub(parent: etree._Element, tag: str, text: str | None = None,
        **attrib: str) -> etree._Element:
    """A child ``tag`` of ``parent`` with ``text`` and attributes."""
    prefix, _, name = tag.partition(":")
    element = etree.SubElement(parent, qname(prefix, name))
    for key, value in attrib.items():
        space, _, local = key.partition("__")
        element.set(qname(space, local) if local else key, value)
    if text is not None:
        element.text = text
    return element


def string(parent: etree._Element, tag: str, text: str) -> etree._Element:
    """``tag`` holding a ``gco:CharacterString``."""
    wrapper = sub(parent, tag)
    sub(wrapper, "gco:CharacterString", text)
    return wrapper


def anchor(parent: etree._Element, tag: str, href: str, text: str) -> etree._Element:
    """``tag`` holding a ``gmx:Anchor`` to ``href``."""
    wrapper = sub(parent, tag)
    sub(wrapper, "gmx:Anchor", text, xlink__href=href)
    return wrapper


def code(parent: etree._Element, tag: str, codelist: str, value: str,
         base: str = CODELISTS) -> etree._Element:
    """``tag`` holding a code list value (the code element in ``tag``'s namespace)."""
    wrapper = sub(parent, tag)
    element = tag.partition(":")[0] + ":" + codelist
    sub(wrapper, element, value, codeList=f"{base}#{codelist}", codeListValue=value)
    return wrapper


def language(parent: etree._Element, value: str = "eng") -> None:
    """``gmd:language`` as an ISO 639-2 ``gmd:LanguageCode``."""
    sub(sub(parent, "gmd:language"), "gmd:LanguageCode", value, codeList=LANGUAGES,
        codeListValue=value)
