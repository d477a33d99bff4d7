"""A product folder holding a symbolic link anywhere is refused before reading."""

from __future__ import annotations

import pytest

from ogc_server.errors import InvalidProduct
from ogc_server.ingest.pipeline import _check_source, _first_symlink


def test_symbolic_links_are_found_at_any_depth(tmp_path) -> None:
    product = tmp_path / "S2A_MSIL1C_X.SAFE"
    (product / "GRANULE" / "G" / "IMG_DATA").mkdir(parents=True)
    (product / "manifest.safe").write_text("<x/>")
    assert _first_symlink(product) is None
    _check_source(product)
    (product / "GRANULE" / "G" / "IMG_DATA" / "band.jp2").symlink_to(tmp_path / "elsewhere")
    assert _first_symlink(product) == "band.jp2"
    with pytest.raises(InvalidProduct, match="symbolic link: band.jp2"):
        _check_source(product)


def test_linked_folders_are_not_followed(tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    product = tmp_path / "S1A_IW_GRDH_X.SAFE"
    product.mkdir()
    (product / "annotation").symlink_to(outside, target_is_directory=True)
    assert _first_symlink(product) == "annotation"
