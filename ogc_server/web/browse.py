"""``/browse/<product id>/{quicklook.jpg,thumbnail.jpg,browse.tif}``: the browse images that
ingestion rendered for a product (:mod:`ogc_server.ingest.browse`).

The identifier is only ever a key into the catalogue: the file served is the path the product's
record names, resolved under the archive root by the storage (which refuses any path that
leaves it), so no request text ever becomes part of a file path. Answers carry ``ETag``,
``Last-Modified`` and ``Cache-Control``, answer ``304`` to ``If-None-Match`` /
``If-Modified-Since``, and serve byte ranges (a GIS reads the COG by ranges over HTTP).
"""

from __future__ import annotations

from flask import Blueprint, Response, send_file

from ogc_server.errors import InvalidProduct, ProductNotFound
from ogc_server.web.context import services

blueprint = Blueprint("browse", __name__)

#: File name in the URL -> (Product attribute holding its relative path, media type).
FILES = {
    "quicklook.jpg": ("quicklook_path", "image/jpeg"),
    "thumbnail.jpg": ("thumbnail_path", "image/jpeg"),
    "browse.tif": ("browse_path", "image/tiff; application=geotiff; profile=cloud-optimized"),
}
#: Browse files change only when a product is ingested again; the ETag (file time and size)
#: tells a client when, so an hour of freshness costs at most one revalidation per hour.
MAX_AGE = 3600


@blueprint.get("/browse/<identifier>/<any('quicklook.jpg','thumbnail.jpg','browse.tif'):name>")
def browse_file(identifier: str, name: str) -> Response:
    """One browse file of a product, conditional and with ranges."""
    svc = services()
    product = svc.store.get(identifier)  # ProductNotFound -> 404 problem
    attribute, mimetype = FILES[name]
    relative = getattr(product, attribute)
    missing = ProductNotFound(f"{identifier} has no {name}", locator="identifier")
    if not relative:
        raise missing
    try:
        path = svc.storage.product_dir(relative)
    except InvalidProduct as exc:  # a record naming a path outside the archive
        raise missing from exc
    if not path.is_file():
        raise missing
    response = send_file(path, mimetype=mimetype, conditional=True, etag=True,
                         max_age=MAX_AGE, last_modified=path.stat().st_mtime)
    response.headers["Accept-Ranges"] = "bytes"
    return response
