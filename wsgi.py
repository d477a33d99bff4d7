"""WSGI entry point: ``waitress-serve wsgi:application`` or any WSGI server."""

import logging

from ogc_server.compose import build_application
from ogc_server.settings import load_settings

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
settings = load_settings()
application = build_application(settings)
