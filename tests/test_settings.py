"""Staged validation of config/ogc-server.yml: every error names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ogc_server.cli import main
from ogc_server.errors import ConfigError
from ogc_server.settings import load_settings
from tests.conftest import ROOT, make_config


def test_default_configuration_is_valid() -> None:
    settings = load_settings(ROOT / "config" / "ogc-server.yml", environ={})
    ids = [c.identifier for c in settings.collection_list]
    assert "EOP:CODE-DE:S2_MSI_L1C" in ids and len(ids) == 11
    assert [r.key for r in settings.region_list] == ["central_europe", "europe", "global"]
    slc = next(c for c in settings.collection_list if c.short_name == "S1_SAR_L1_SLC")
    assert slc.retention.months == {"central_europe": 36, "europe": 12, "global": 0}
    ocn = next(c for c in settings.collection_list if c.short_name == "S1_SAR_L2_OCN")
    assert ocn.retention.months_for(["central_europe", "europe", "global"], "europe") == 6
    assert settings.database_url.startswith("sqlite:///")
    assert settings.data_dir == (ROOT / "data").resolve()
    assert settings.public_url == "http://127.0.0.1:8080"


def test_environment_interpolation(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    settings = load_settings(config, environ={"OGC_SERVER_PUBLIC_URL": "https://eo.example.de/",
                                              "OGC_SERVER_PORT": "9000"})
    assert settings.public_url == "https://eo.example.de"
    assert settings.server.port == 9000


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    config = make_config(tmp_path)
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, 1))
    return config


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("collections:", "collections: [", "not valid YAML"),
        ("${OGC_SERVER_HOST:-127.0.0.1}", "${OGC_SERVER_NO_SUCH_VAR}",
         "server.host: environment variable OGC_SERVER_NO_SUCH_VAR is not set"),
        ("port: ${OGC_SERVER_PORT:-8080}", "port: 99999", "server.port"),
        ("  workers: 2", "  workers: 2\n  wrokers: 3", "ingest.wrokers"),
        ("retention: {central_europe: 36, europe: 12, global: 0}",
         "retention: {central_europe: 36, europe: 12, mars: 0}",
         "collections[0] (EOP:CODE-DE:S1_SAR_L1_SLC).retention.mars: no such region"),
        ("product_types: [GRD]", "product_types: [SLC]",
         "product_types: SLC already belongs to EOP:CODE-DE:S1_SAR_L1_SLC"),
        ("metadata: S2_MSI_L1C.xml", "metadata: missing.xml", "metadata: missing.xml not found"),
        ("retention: {central_europe: 36, europe: 12, global: 1}\n    keywords: [Orthoimagery, "
         "SAR, radar, backscatter]",
         "retention: {central_europe: -3, europe: 12, global: 1}\n    keywords: [Orthoimagery, "
         "SAR, radar, backscatter]", "retention"),
        ("public_url: ${OGC_SERVER_PUBLIC_URL:-http://127.0.0.1:8080}", "public_url: ftp://x",
         "public_url"),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    config = _broken(tmp_path, old, new)
    with pytest.raises(ConfigError) as info:
        load_settings(config, environ={})
    assert str(config.resolve()) in str(info.value) or str(config) in str(info.value)
    assert message in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "nope.yml")


def test_cli_validate(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(main, ["--config", str(make_config(tmp_path)), "config", "validate"])
    assert good.exit_code == 0, good.output
    assert "valid (11 collections, 3 regions, database sqlite)" in good.output
    bad = _broken(tmp_path / "b", "port: ${OGC_SERVER_PORT:-8080}", "port: nope")
    result = runner.invoke(main, ["--config", str(bad), "config", "validate"])
    assert result.exit_code == 1
    assert "server.port" in result.output and str(bad.resolve()) in result.output


def test_config_from_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(tmp_path)
    monkeypatch.setenv("OGC_SERVER_CONFIG", str(config))
    result = CliRunner().invoke(main, ["config", "validate"])
    assert result.exit_code == 0 and str(config.resolve()) in result.output
