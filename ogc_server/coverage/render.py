"""Read a planned coverage from the band files and encode it (COG or netCDF).

On the native grid the pixels come from a windowed read; when the output is smaller than the
window, GDAL reads from the file's overviews (JPEG 2000 resolution levels, GeoTIFF overviews)
instead of decoding every pixel. Any other grid (another CRS, or a product georeferenced by
ground control points) is read through a ``WarpedVRT`` onto exactly the planned grid, which
also picks overviews when scaling down. Only the planned output is held in memory.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.io import MemoryFile
from rasterio.vrt import WarpedVRT
from rasterio.windows import from_bounds

from ogc_server.coverage.grid import Plan

MEDIA_TYPES = {
    "image/tiff": "COG",
    "application/netcdf": "netCDF",
}
"""Output media types and the GDAL driver that writes each."""
EXTENSIONS = {"image/tiff": "tif", "application/netcdf": "nc"}


def read(plan: Plan, gdal_env: dict | None = None) -> np.ndarray:
    """The planned pixels as a (bands, height, width) array of the source's data type."""
    out = np.zeros((len(plan.bands), plan.height, plan.width), dtype=plan.source.dtype)
    with rasterio.Env(**(gdal_env or {})):
        for index, band in enumerate(plan.bands):
            with rasterio.open(band.path) as src:
                if plan.native:
                    left, top = plan.transform @ (0, 0)
                    right, bottom = plan.transform @ (plan.width, plan.height)
                    window = from_bounds(left, bottom, right, top, src.transform)
                    out[index] = src.read(1, window=window, out_shape=(plan.height, plan.width),
                                          resampling=plan.resampling, boundless=False)
                    continue
                with WarpedVRT(src, crs=plan.crs, transform=plan.transform, width=plan.width,
                               height=plan.height, resampling=plan.resampling,
                               src_nodata=plan.source.nodata, nodata=plan.source.nodata) as vrt:
                    out[index] = vrt.read(1)
    return out


def encode(plan: Plan, data: np.ndarray, gdal_env: dict | None = None) -> bytes:
    """``data`` on the planned grid as the planned media type (band names as descriptions)."""
    driver = MEDIA_TYPES[plan.media_type]
    profile = dict(driver="GTiff", width=plan.width, height=plan.height,
                   count=len(plan.bands), dtype=plan.source.dtype, crs=plan.crs,
                   transform=plan.transform, nodata=plan.source.nodata)
    options = {"COG": dict(COMPRESS="DEFLATE", BLOCKSIZE=512, OVERVIEWS="AUTO",
                           RESAMPLING="NEAREST"),
               "netCDF": dict(FORMAT="NC4C", COMPRESS="DEFLATE")}[driver]
    with rasterio.Env(**(gdal_env or {})), MemoryFile() as memory:
        with memory.open(**profile) as dst:
            dst.write(data)
            dst.descriptions = tuple(band.name for band in plan.bands)
        # the netCDF library writes only real files: both formats go through a temporary one
        with tempfile.TemporaryDirectory(prefix="coverage-") as folder:
            path = Path(folder) / f"coverage.{EXTENSIONS[plan.media_type]}"
            rasterio.shutil.copy(memory.name, path, driver=driver, **options)
            return path.read_bytes()
