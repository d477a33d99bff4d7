"""Downloads of whole products, reload orders and metalinks (see ``blueprint``)."""

from ogc_server.web.download.blueprint import blueprint

__all__ = ["blueprint"]
