"""Coverages of the archive's products, framework-free: the WCS and OGC API doors call this.

* :mod:`.sources` finds a product's original rasters in the archive and describes its grid;
* :mod:`.grid` plans an output grid from a typed request, refusing oversized or bad requests
  before any pixel is read;
* :mod:`.render` reads the pixels (windowed reads, overviews, ``WarpedVRT``) and encodes them.
"""
