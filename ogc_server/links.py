"""The public addresses of a product's resources (one place for every protocol's links)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from ogc_server.archive.model import Product


class Links:
    """URLs under the platform's public address."""

    def __init__(self, public_url: str):
        self.base = public_url.rstrip("/")

    def download(self, product: Product) -> str:
        """The product itself; the last path segment is its file name (``curl -O`` works)."""
        name = product.file_name or f"{product.identifier}.zip"
        return f"{self.base}/download/{quote(name)}"

    def metalink(self, product: Product) -> str:
        """The product's Metalink 4 document (RFC 5854)."""
        return f"{self.base}/metalink/{quote(product.identifier)}"

    def download_order(self, order_id: str) -> str:
        """A reload order of an offline product."""
        return f"{self.base}/download/orders/{quote(order_id)}"

    def quicklook(self, product: Product) -> str | None:
        return self._browse(product, "quicklook.jpg") if product.quicklook_path else None

    def thumbnail(self, product: Product) -> str | None:
        return self._browse(product, "thumbnail.jpg") if product.thumbnail_path else None

    def browse_cog(self, product: Product) -> str | None:
        return self._browse(product, "browse.tif") if product.browse_path else None

    def _browse(self, product: Product, name: str) -> str:
        return f"{self.base}/browse/{quote(product.identifier)}/{name}"

    def opensearch_description(self, collection: str | None = None) -> str:
        url = f"{self.base}/opensearch/description.xml"
        return f"{url}?parentIdentifier={quote(collection, safe=':')}" if collection else url

    def opensearch_product(self, product: Product, fmt: str = "application/atom+xml") -> str:
        return (f"{self.base}/opensearch/request?uid={quote(product.identifier)}"
                f"&httpAccept={quote(fmt, safe='')}")

    def opensearch_request(self, params: Sequence[tuple[str, str]] = ()) -> str:
        """An OpenSearch search URL with ``params`` (name, value) in the given order."""
        url = f"{self.base}/opensearch/request"
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe=':,')}" for k, v in params)
        return f"{url}?{query}" if query else url

    def stac_collection(self, collection: str) -> str:
        return f"{self.base}/stac/collections/{quote(collection, safe=':')}"

    def stac_item(self, product: Product) -> str:
        collection = self.stac_collection(product.collection or "")
        return f"{collection}/items/{quote(product.identifier)}"

    def csw_record(self, identifier: str, schema: str = "http://www.isotc211.org/2005/gmd") -> str:
        return (f"{self.base}/csw?service=CSW&version=2.0.2&request=GetRecordById"
                f"&id={quote(identifier, safe=':')}&outputSchema={quote(schema, safe='')}"
                "&elementSetName=full")

    def wms(self) -> str:
        return f"{self.base}/wms?SERVICE=WMS&REQUEST=GetCapabilities"
