"""Metalink 4 (RFC 5854) for one product, for a basket, and from OpenSearch."""

from __future__ import annotations

import hashlib

from flask.testing import FlaskClient
from lxml import etree

from ogc_server.archive.model import Product
from ogc_server.download.metalink import MEDIA_TYPE, NS

M = {"m": NS}


def _files(body: bytes) -> list[etree._Element]:
    root = etree.fromstring(body)
    assert root.tag == f"{{{NS}}}metalink"
    assert root.findtext("m:generator", namespaces=M)
    assert root.findtext("m:published", namespaces=M).endswith("Z")
    return root.findall("m:file", namespaces=M)


def test_one_product(client: FlaskClient, zipped: Product) -> None:
    whole = client.get(f"/download/{zipped.file_name}").data
    for url in (f"/download/{zipped.file_name}.meta4", f"/metalink/{zipped.identifier}"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == MEDIA_TYPE
        (node,) = _files(response.data)
        assert node.get("name") == zipped.file_name
        assert node.findtext("m:size", namespaces=M) == str(len(whole))
        hashes = {h.get("type"): h.text for h in node.findall("m:hash", namespaces=M)}
        assert hashes == {"sha-256": hashlib.sha256(whole).hexdigest(),
                          "md5": hashlib.md5(whole).hexdigest()}
        assert node.findtext("m:url", namespaces=M).endswith(f"/download/{zipped.file_name}")


def test_basket(client: FlaskClient, demo_products: list[Product]) -> None:
    ids = [p.identifier for p in demo_products[:3]]
    response = client.post("/metalink", json=ids + ids[:1])
    assert response.status_code == 200
    names = [f.get("name") for f in _files(response.data)]
    assert names == [p.file_name for p in demo_products[:3]]
    assert client.post("/metalink", json={"ids": ids}).status_code == 200


def test_bad_baskets(client: FlaskClient, demo_products: list[Product]) -> None:
    for body in (b"", b"{", b"[]", b"[1]", b'{"ids": "x"}', b'"x"'):
        response = client.post("/metalink", data=body, content_type="application/json")
        assert response.status_code == 400, body
        assert response.headers["Content-Type"] == "application/problem+json"
    response = client.post("/metalink", json=[demo_products[0].identifier, "../../etc"])
    assert response.status_code == 404
    huge = client.post("/metalink", data=b"[" + b'"x",' * 400_000 + b'"x"]',
                       content_type="application/json")
    assert huge.status_code == 400


def test_opensearch_answers_metalink(client: FlaskClient, demo_products: list[Product]) -> None:
    product = demo_products[0]
    response = client.get("/opensearch/request", query_string={
        "parentIdentifier": product.collection, "maximumRecords": "3",
        "httpAccept": MEDIA_TYPE})
    assert response.status_code == 200
    assert response.mimetype == MEDIA_TYPE
    files = _files(response.data)
    assert 1 <= len(files) <= 3
    one = client.get("/opensearch/request", query_string={
        "uid": product.identifier, "httpAccept": MEDIA_TYPE})
    assert [f.get("name") for f in _files(one.data)] == [product.file_name]
