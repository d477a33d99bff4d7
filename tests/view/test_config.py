"""MapProxy's configuration generated from config/ogc-server.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
from mapproxy.config.loader import load_configuration

from ogc_server.settings import Settings
from plugins.mapproxy_.config import build_config, layer_specs, write_config
from plugins.mapproxy_.source import install

BROWSE = {"S1_SAR_L1_GRD", "S2_MSI_L1C", "S2_MSI_L2A", "S3_OLCI_L1", "S5P_TROPOMI_L2"}
#: Style layers: the collections' styles the browse cannot show.
STYLED = {"S2_MSI_L1C_FALSECOLOR", "S2_MSI_L1C_NDVI", "S2_MSI_L2A_FALSECOLOR", "S2_MSI_L2A_NDVI",
          "S1_SAR_L1_GRD_VVVH"}


def test_one_map_layer_per_collection_with_browse_and_footprints_for_all(
        sqlite_settings: Settings) -> None:
    specs = layer_specs(sqlite_settings)
    names = {s.name for s in specs}
    assert {s.name for s in specs if s.style == "browse" and s.base is None} == BROWSE
    assert {s.name for s in specs if s.base is not None} == STYLED
    assert all(s.base == s.name.rsplit("_", 1)[0] for s in specs if s.base)
    assert {c.short_name + "_footprints" for c in sqlite_settings.collection_list} <= names
    assert len(specs) == len(BROWSE) + len(STYLED) + len(sqlite_settings.collection_list)
    optical = {s.name for s in specs if s.style == "browse" and s.optical and not s.base}
    assert optical == {"S2_MSI_L1C", "S2_MSI_L2A", "S3_OLCI_L1"}


def test_generated_configuration_loads_without_warnings(sqlite_settings: Settings,
                                                        tmp_path: Path) -> None:
    install()
    conf = build_config(sqlite_settings, "key")
    wms = conf["services"]["wms"]
    assert wms["srs"] == sqlite_settings.view.srs
    assert wms["max_output_pixels"] == [4096, 4096]
    assert wms["md"]["online_resource"] == sqlite_settings.public_url + "/wms"
    assert "EPSG:3035" in conf["globals"]["srs"]["axis_order_ne"]
    assert "EPSG:4326" in conf["globals"]["srs"]["axis_order_ne"]
    assert "EPSG:25832" in conf["globals"]["srs"]["axis_order_en"]
    for name, cache in conf["caches"].items():
        assert cache["disable_storage"] is True, name  # nothing evicted is ever served
    for source in conf["sources"].values():
        assert source["type"] == "ogc_archive" and source["catalogue"] == "key"
    path = write_config(sqlite_settings, conf)
    assert path.parent == sqlite_settings.data_dir / "mapproxy"
    loaded = load_configuration(str(path), ignore_warnings=False)
    assert {layer.conf["name"] for layer in loaded.layers.values()} >= BROWSE


def test_unknown_crs_is_a_configuration_error(sqlite_settings: Settings) -> None:
    from ogc_server.errors import ConfigError

    settings = sqlite_settings.model_copy(update={
        "view": sqlite_settings.view.model_copy(update={"srs": ["EPSG:4326", "EPSG:0"]})})
    with pytest.raises(ConfigError, match="EPSG:0"):
        build_config(settings, "key")


def test_template_beside_the_configuration_wins(sqlite_settings: Settings,
                                                tmp_path: Path) -> None:
    from plugins.mapproxy_.config import TEMPLATE, template_path

    assert template_path(sqlite_settings) == TEMPLATE  # the test copy has no mapfiles/
    assert sqlite_settings.config_file
    own = sqlite_settings.config_file.parent.parent / "mapfiles"
    own.mkdir()
    (own / "mapproxy.yaml").write_text(TEMPLATE.read_text().replace("bilinear", "nearest"))
    assert template_path(sqlite_settings) == own / "mapproxy.yaml"
    conf = build_config(sqlite_settings, "key")
    assert conf["globals"]["image"]["resampling_method"] == "nearest"


def test_service_texts_come_from_the_service_records_and_are_escaped(
        sqlite_settings: Settings) -> None:
    settings = sqlite_settings.model_copy(update={"title": "Earth & <Sky>"})
    conf = build_config(settings, "key")
    assert conf["services"]["wms"]["md"]["title"] == "Earth &amp; &lt;Sky&gt;: browse views (WMS)"
    assert conf["services"]["wmts"]["md"]["title"] == \
        "Earth &amp; &lt;Sky&gt;: browse tiles (WMTS)"
    assert conf["services"]["wms"]["inspire_md"]["metadata_url"]["url"].endswith(
        "&id=EOP:CODE-DE:SERVICE:WMS&outputSchema=http%3A%2F%2Fwww.isotc211.org%2F2005%2Fgmd"
        "&elementSetName=full")
