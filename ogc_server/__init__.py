"""ogc-server: a standards-first Copernicus data and exploitation platform."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
