"""Demo rolling archive: realistic Sentinel-1/2/3/5P products built from real metadata.

``generate(out_dir, products=200, seed=1)`` writes SAFE/SEN3 folders and S5P netCDF files whose
metadata are real products' files (``templates/``) re-stamped for each demo product, with small
but real rasters (JPEG 2000 bands, GRD TIFFs with GCPs, OLCI and TROPOMI netCDF-4). Footprints
follow the real acquisition geometry (MGRS tiles, relative orbits, frames) and dates respect the
retention of each collection and region. See ``templates/PROVENANCE.md`` for the templates.
"""

from ogc_server.demo.generator import CollectionInfo, generate, plan_archive, write_product
from ogc_server.demo.spec import ProductSpec

__all__ = ["CollectionInfo", "ProductSpec", "generate", "plan_archive", "write_product"]
