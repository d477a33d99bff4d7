"""The hardened XML parser: real documents parse, dangerous or malformed ones are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from ogc_server.ingest.xmlsafe import MalformedXML, UnsafeXML, XMLError, parse_xml

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
MANIFEST = (
    SAMPLES
    / "sentinel1"
    / "S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8.SAFE"
    / "manifest.safe"
)
MALFORMED = (
    SAMPLES
    / "sentinel1"
    / "_malformed"
    / "S1A_IW_GRDH_1SDV_20230310T075746_manifest.safe-with-trailing-junk"
)


def test_parses_a_real_manifest_from_path_and_bytes() -> None:
    from_path = parse_xml(MANIFEST)
    from_bytes = parse_xml(MANIFEST.read_bytes())
    assert from_path.tag == from_bytes.tag == "{urn:ccsds:schema:xfdu:1}XFDU"
    assert len(from_path) == len(from_bytes)


def test_errors_are_value_errors() -> None:
    assert issubclass(UnsafeXML, XMLError) and issubclass(MalformedXML, XMLError)
    assert issubclass(XMLError, ValueError)


def test_trailing_junk_after_the_root_element_is_refused() -> None:
    with pytest.raises(MalformedXML, match="Extra content at the end of the document"):
        parse_xml(MALFORMED)


def test_external_entity_is_neither_resolved_nor_accepted(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    document = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE r [<!ENTITY leak SYSTEM "{secret.as_uri()}">]>\n'
        "<r>&leak;</r>"
    ).encode()
    with pytest.raises(UnsafeXML, match="DOCTYPE") as info:
        parse_xml(document)
    assert "TOP-SECRET-VALUE" not in str(info.value)


def test_external_dtd_after_a_comment_is_refused() -> None:
    document = (
        b'<?xml version="1.0"?>\n<!-- a comment -->\n'
        b'<!DOCTYPE r SYSTEM "http://example.invalid/r.dtd">\n<r/>'
    )
    with pytest.raises(UnsafeXML):
        parse_xml(document)


def test_entity_expansion_bomb_is_refused() -> None:
    document = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n'
        b' <!ENTITY lol "lol">\n'
        b' <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
        b' <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">\n'
        b"]>\n<lolz>&lol2;</lolz>"
    )
    with pytest.raises(UnsafeXML):
        parse_xml(document)


def test_doctype_in_a_utf16_document_is_refused() -> None:
    document = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'
    with pytest.raises(UnsafeXML):
        parse_xml(document.encode("utf-16"))


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"", "empty document"),
        (b"  \n ", "empty document"),
        (b"<r><a></r>", "not well-formed"),
        (b"<r/><r/>", "Extra content"),
        (b"not xml at all", "not well-formed"),
    ],
)
def test_malformed_documents(document: bytes, reason: str) -> None:
    with pytest.raises(MalformedXML, match=reason):
        parse_xml(document)


def test_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(b"<r>" + b"x" * 2048 + b"</r>")
    with pytest.raises(MalformedXML, match="larger than 1024 bytes"):
        parse_xml(big, max_bytes=1024)
    assert parse_xml(big).tag == "r"


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        parse_xml(tmp_path / "absent.xml")


def test_only_bytes_or_paths() -> None:
    with pytest.raises(TypeError):
        parse_xml("<r/>")  # type: ignore[arg-type]


WMS_111 = (b'<?xml version="1.0"?>\n<!DOCTYPE WMT_MS_Capabilities SYSTEM '
           b'"http://schemas.opengis.net/wms/1.1.1/WMS_MS_Capabilities.dtd"\n'
           b' [\n <!ELEMENT VendorSpecificCapabilities EMPTY>\n ]>\n'
           b'<WMT_MS_Capabilities version="1.1.1"/>')


def test_an_external_doctype_only_where_allowed() -> None:
    # documents the platform produced itself (WMS 1.1.1 capabilities name their DTD)
    root = parse_xml(WMS_111, allow_doctype=True)
    assert root.tag == "WMT_MS_Capabilities"
    assert root.getroottree().docinfo.system_url.endswith("WMS_MS_Capabilities.dtd")
    with pytest.raises(UnsafeXML):
        parse_xml(WMS_111)


@pytest.mark.parametrize("document", [
    b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
    b'<!DOCTYPE a SYSTEM "a.dtd" [<!ELEMENT a ANY> <!ENTITY % p "x">]><a/>',
    b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
])
def test_entities_are_refused_even_where_a_doctype_is_allowed(document: bytes) -> None:
    with pytest.raises(UnsafeXML):
        parse_xml(document, allow_doctype=True)
