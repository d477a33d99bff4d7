"""Real clients against the whole platform on 127.0.0.1: curl, wget (with resume), GDAL."""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree

from ogc_server.archive.model import Product
from ogc_server.download.metalink import NS

pytestmark = pytest.mark.system


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is needed (run.sh installs it)")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _repr_sha256(server: str, product: Product) -> str:
    """The SHA-256 the server announces for the product, as hex."""
    netloc = urlsplit(server).netloc
    conn = http.client.HTTPConnection(netloc, timeout=30)
    conn.request("HEAD", f"/download/{product.file_name}")
    response = conn.getresponse()
    response.read()
    conn.close()
    value = response.getheader("Repr-Digest") or ""
    assert value.startswith("sha-256=:") and value.endswith(":")
    return base64.b64decode(value[len("sha-256=:"):-1]).hex()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_curl_names_the_file_and_its_digest_matches(server: str, zipped: Product,
                                                    tmp_path: Path) -> None:
    _need("curl")
    _run(["curl", "-sS", "-f", "-O", f"{server}/download/{zipped.file_name}"], tmp_path)
    saved = tmp_path / str(zipped.file_name)
    assert saved.is_file()
    assert _sha256(saved) == _repr_sha256(server, zipped)
    with zipfile.ZipFile(saved) as archive:
        assert archive.testzip() is None


def test_curl_resumes_an_interrupted_download(server: str, zipped: Product,
                                              tmp_path: Path) -> None:
    _need("curl")
    url = f"{server}/download/{zipped.file_name}"
    _run(["curl", "-sS", "-f", "-r", "0-99999", "-o", "part.zip", url], tmp_path)
    partial = tmp_path / "part.zip"
    assert partial.stat().st_size == 100_000
    with open(partial, "r+b") as fh:
        fh.truncate(54_321)  # a transfer cut at an arbitrary byte
    _run(["curl", "-sS", "-f", "-C", "-", "-o", "part.zip", url], tmp_path)
    assert _sha256(partial) == _repr_sha256(server, zipped)


def test_wget_downloads_and_continues(server: str, zipped: Product, tmp_path: Path) -> None:
    _need("wget")
    url = f"{server}/download/{zipped.file_name}"
    _run(["wget", "-q", url], tmp_path)
    saved = tmp_path / str(zipped.file_name)
    expected = _repr_sha256(server, zipped)
    assert _sha256(saved) == expected
    with open(saved, "r+b") as fh:
        fh.truncate(saved.stat().st_size // 3)
    _run(["wget", "-q", "-c", url], tmp_path)
    assert _sha256(saved) == expected


def test_curl_head_and_ranges(server: str, zipped: Product, tmp_path: Path) -> None:
    _need("curl")
    url = f"{server}/download/{zipped.file_name}"
    head = _run(["curl", "-sS", "-f", "-I", url], tmp_path).stdout.lower()
    assert "accept-ranges: bytes" in head and "repr-digest: sha-256=:" in head
    out = _run(["curl", "-sS", "-f", "-r", "0-3", url], tmp_path).stdout
    assert out == "PK\x03\x04"
    status = _run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                   "-r", "999999999-", url], tmp_path).stdout
    assert status == "416"


def test_gdal_reads_a_band_inside_the_product_by_ranges(server: str, zipped: Product,
                                                        tmp_path: Path) -> None:
    _need("gdalinfo")
    url = f"{server}/download/{zipped.file_name}"
    _run(["curl", "-sS", "-f", "-o", "p.zip", url], tmp_path)
    with zipfile.ZipFile(tmp_path / "p.zip") as archive:
        band = next(n for n in archive.namelist() if n.endswith("_B04.jp2"))
    result = _run(["gdalinfo", "-json", f"/vsizip//vsicurl/{url}/{band}"], tmp_path)
    info = json.loads(result.stdout)
    assert info["size"][0] > 0 and info["bands"]
    assert info["driverShortName"] == "JP2OpenJPEG"


@pytest.mark.parametrize("path", [
    "/download/../../etc/passwd", "/download/..%2F..%2Fetc%2Fpasswd",
    "/download/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/download/..", "/download/%2e%2e",
    "/download/%00", "/download/a%00.zip", "/metalink/..%2F..%2Fetc%2Fpasswd",
    "/metalink/%2e%2e", "/download/orders/..%2F..%2Fetc", "/download/..%5Cwindows",
    "/download/%252e%252e%252f", "/download/%C0%AE%C0%AE%2F", "/download/%ff",
    "/download/S2A.zip/../../catalogue.sqlite", "/download/" + "a" * 5000,
])
def test_path_traversal_over_the_wire(server: str, path: str) -> None:
    netloc = urlsplit(server).netloc
    conn = http.client.HTTPConnection(netloc, timeout=30)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 404, (path, response.status, body[:200])
    assert response.getheader("Content-Type") == "application/problem+json"
    assert json.loads(body)["status"] == 404


def test_bytes_over_the_wire_equal_a_zip_of_the_folder(server: str, zipped: Product,
                                                       tmp_path: Path) -> None:
    netloc = urlsplit(server).netloc
    conn = http.client.HTTPConnection(netloc, timeout=30)
    conn.request("GET", f"/download/{zipped.file_name}")
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 200
    assert int(response.getheader("Content-Length")) == len(body)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None


def test_aria2_fetches_a_basket_from_its_metalink(server: str, demo_products: list[Product],
                                                  tmp_path: Path) -> None:
    """A metalink client downloads every file and checks it against the metalink's hashes."""
    _need("aria2c")
    basket = [p for p in demo_products if p.file_name][:3]
    netloc = urlsplit(server).netloc
    conn = http.client.HTTPConnection(netloc, timeout=60)
    conn.request("POST", "/metalink", body=json.dumps([p.identifier for p in basket]),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 200
    (tmp_path / "basket.meta4").write_bytes(body)
    out = tmp_path / "out"
    result = _run(["aria2c", "--quiet=false", "--check-integrity=true",
                   "--file-allocation=none", "--console-log-level=warn", "-d", str(out),
                   "-M", str(tmp_path / "basket.meta4")], tmp_path)
    assert "error" not in result.stdout.lower()
    for product in basket:
        saved = out / str(product.file_name)
        assert saved.is_file()
        assert _sha256(saved) == _repr_sha256(server, product)
    # a wrong hash in the metalink makes the client refuse the file: the hashes are checked
    root = etree.fromstring(body)
    first = root.find(f"{{{NS}}}file/{{{NS}}}hash[@type='sha-256']")
    first.text = ("0" if first.text[0] != "0" else "1") + first.text[1:]
    for other in root.findall(f"{{{NS}}}file/{{{NS}}}hash[@type='md5']"):
        other.getparent().remove(other)
    (tmp_path / "bad.meta4").write_bytes(etree.tostring(root))
    bad = subprocess.run(["aria2c", "--check-integrity=true", "--file-allocation=none",
                          "-d", str(tmp_path / "bad"), "-M", str(tmp_path / "bad.meta4")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0


def test_multiple_ranges_over_the_wire(server: str, zipped: Product) -> None:
    from email.parser import BytesParser
    from email.policy import HTTP

    netloc = urlsplit(server).netloc
    conn = http.client.HTTPConnection(netloc, timeout=30)
    conn.request("GET", f"/download/{zipped.file_name}")
    whole = conn.getresponse().read()
    conn.request("GET", f"/download/{zipped.file_name}",
                 headers={"Range": "bytes=0-9,100000-199999,-7"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 206
    assert int(response.getheader("Content-Length")) == len(body)
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {response.getheader('Content-Type')}\r\n\r\n".encode() + body)
    parts = [p.get_payload(decode=True) for p in message.iter_parts()]
    assert parts == [whole[:10], whole[100000:200000], whole[-7:]]
