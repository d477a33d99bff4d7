"""The ingest pipeline on real samples: placement, idempotency, quarantine, parallel batches."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from click.testing import CliRunner

from ogc_server.archive.model import OnlineState
from ogc_server.archive.query import ProductQuery
from ogc_server.cli import main
from ogc_server.ingest.pipeline import build_ingestor, ingest_batch
from ogc_server.settings import Settings, load_settings
from tests.conftest import SAMPLES, make_config

S2_L1C = (SAMPLES / "sentinel2" /
          "S2A_MSIL1C_20180101T105441_N0206_R051_T31TDH_20180101T124911.SAFE")
S1_GRD = (SAMPLES / "sentinel1" /
          "S1A_IW_GRDH_1SDV_20210809T173953_20210809T174018_039156_049F13_6FF8.SAFE")
S3_OLCI = (SAMPLES / "sentinel3" /
           "S3A_OL_1_EFR____20211021T073827_20211021T074112_20211021T091357_0164_077_334_4320_LN1_O_NR_002.SEN3")
S3_SR_ZIP = next((SAMPLES / "sentinel3" / "zipped").glob("*.zip"))
S5P_NC = next((SAMPLES / "sentinel5p" / "nc").glob("*NO2*.nc"))
MALFORMED = next((SAMPLES / "sentinel1" / "_malformed").iterdir())


def _zip(folder: Path, target: Path, *, prefix: str | None = None) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            name = (prefix or folder.name) + "/" + path.relative_to(folder).as_posix()
            if path.is_file():
                archive.write(path, name)
    return target


def _archive_files(settings: Settings) -> set[str]:
    root = settings.archive_dir
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and not p.relative_to(root).parts[0].startswith(".")}


def test_ingest_places_and_catalogues(settings: Settings) -> None:
    ingestor = build_ingestor(settings, browse=False)
    outcome = ingestor.ingest(S2_L1C)
    assert outcome.status == "inserted", outcome.reason
    product = ingestor.store.get(outcome.identifier)
    assert product.collection == "EOP:CODE-DE:S2_MSI_L1C"
    assert product.region == "europe"  # tile 31TDH, southern France
    assert product.retention_deadline.year == 2019  # 12 months after sensing
    assert product.online_state == OnlineState.ONLINE
    assert product.file_name == f"{product.identifier}.zip"
    assert product.checksum.startswith("sha256:") and product.size > 0
    data = ingestor.storage.product_dir(product.storage_path)
    assert (data / "MTD_MSIL1C.xml").read_bytes() == (S2_L1C / "MTD_MSIL1C.xml").read_bytes()
    assert product.storage_path.startswith("S2_MSI_L1C/2018/01/01/")
    ingestor.store.engine.dispose()


def test_same_product_twice_is_one_record(settings: Settings, tmp_path: Path) -> None:
    ingestor = build_ingestor(settings, browse=False)
    assert ingestor.ingest(S1_GRD).status == "inserted"
    files = _archive_files(settings)
    assert ingestor.ingest(S1_GRD).status == "unchanged"
    # the same product as a zip is the same content
    assert ingestor.ingest(_zip(S1_GRD, tmp_path / "p.zip")).status == "unchanged"
    assert ingestor.store.count() == 1
    assert _archive_files(settings) == files
    ingestor.store.engine.dispose()


def test_changed_product_replaces_the_old_one(settings: Settings, tmp_path: Path) -> None:
    ingestor = build_ingestor(settings, browse=False)
    assert ingestor.ingest(S3_OLCI).status == "inserted"
    changed = tmp_path / S3_OLCI.name
    shutil.copytree(S3_OLCI, changed)
    (changed / "extra-file.txt").write_text("a reprocessed product carries more")
    assert ingestor.ingest(changed).status == "updated"
    product = ingestor.store.get(changed.name.removesuffix(".SEN3"))
    assert (ingestor.storage.product_dir(product.storage_path) / "extra-file.txt").exists()
    assert ingestor.store.count() == 1
    assert not any(ingestor.storage.trash_root.iterdir())
    ingestor.store.engine.dispose()


def test_netcdf_product(settings: Settings) -> None:
    ingestor = build_ingestor(settings, browse=False)
    outcome = ingestor.ingest(S5P_NC)
    assert outcome.status == "inserted", outcome.reason
    product = ingestor.store.get(outcome.identifier)
    assert product.collection == "EOP:CODE-DE:S5P_TROPOMI_L2"
    assert product.file_name == S5P_NC.name
    ingestor.store.engine.dispose()


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    bad: dict[str, tuple[Path, str]] = {}
    truncated = tmp_path / "truncated.zip"
    full = _zip(S2_L1C, tmp_path / "full.zip").read_bytes()
    truncated.write_bytes(full[: len(full) // 2])
    bad["truncated zip"] = (truncated, "zip")

    broken = tmp_path / "broken" / S1_GRD.name
    shutil.copytree(S1_GRD, broken)
    (broken / "manifest.safe").write_bytes((S1_GRD / "manifest.safe").read_bytes()[:3000])
    bad["invalid XML"] = (broken, "XML")

    junk = (tmp_path / "junk" /
            "S1A_IW_GRDH_1SDV_20230310T075746_20230310T075811_047579_05B6B2_8312.SAFE")
    junk.mkdir(parents=True)
    shutil.copy(MALFORMED, junk / "manifest.safe")
    bad["trailing junk"] = (junk, "")

    bad["unknown product type"] = (S3_SR_ZIP, "unknown product type")

    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("S2A_X.SAFE/manifest.safe", "<a/>")
        archive.writestr("S2A_X.SAFE/../../../../tmp/escaped.txt", "owned")
    bad["name escaping the archive"] = (evil, "")

    bowtie = tmp_path / "bowtie" / S1_GRD.name
    shutil.copytree(S1_GRD, bowtie)
    text = (S1_GRD / "manifest.safe").read_text()
    start = text.index("<gml:coordinates>") + len("<gml:coordinates>")
    end = text.index("</gml:coordinates>")
    (bowtie / "manifest.safe").write_text(
        text[:start] + "50.0,10.0 51.0,12.0 50.0,12.0 51.0,10.0" + text[end:])
    bad["self-intersecting footprint"] = (bowtie, "footprint")

    bad["missing"] = (tmp_path / "does-not-exist.SAFE", "")
    return bad


def test_bad_input_is_quarantined_and_the_batch_goes_on(settings: Settings,
                                                        tmp_path: Path) -> None:
    bad = _bad_inputs(tmp_path)
    sources = [S2_L1C, *[p for p, _ in bad.values()], S1_GRD]
    summary = ingest_batch(settings, sources, browse=False)
    by_source = {o.source: o for o in summary.outcomes}
    assert by_source[str(S2_L1C)].status == "inserted"
    assert by_source[str(S1_GRD)].status == "inserted"
    for label, (path, reason) in bad.items():
        outcome = by_source[str(path)]
        assert outcome.status == "rejected", label
        assert reason.lower() in (outcome.reason or "").lower(), (label, outcome.reason)
    assert not summary.ok
    reasons = sorted(settings.quarantine_dir.glob("*.reason.txt"))
    assert len(reasons) == len(bad)
    assert all("reason: " in r.read_text() for r in reasons)
    assert not Path("/tmp/escaped.txt").exists()
    ingestor = build_ingestor(settings)
    assert ingestor.store.count() == 2
    assert not any(ingestor.storage.staging_root.iterdir())
    assert not any(ingestor.storage.journal_root.iterdir())


def test_cli_exit_code_and_summary(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(config), "ingest", "--no-browse",
                                  str(S2_L1C), str(S3_SR_ZIP)])
    assert result.exit_code == 1
    assert "2 products: 1 inserted" in result.output and "1 rejected" in result.output
    assert "unknown product type" in result.output
    ok = runner.invoke(main, ["--config", str(config), "ingest", "--no-browse", str(S2_L1C)])
    assert ok.exit_code == 0 and "1 unchanged" in ok.output


def test_parallel_workers(settings: Settings) -> None:
    sources = sorted(p for p in (SAMPLES / "sentinel3").iterdir() if p.suffix == ".SEN3")
    sources += sorted(p for p in (SAMPLES / "sentinel1").iterdir() if p.suffix == ".SAFE")
    summary = ingest_batch(settings, sources, workers=2, browse=False)
    assert summary.ok, summary.describe()
    ingestor = build_ingestor(settings)
    counted = sum(1 for o in summary.outcomes if o.status == "inserted")
    skipped = sum(1 for o in summary.outcomes if o.status == "skipped")
    assert counted + skipped == len(sources)
    assert ingestor.store.count() == counted
    result = ingestor.store.query(ProductQuery(limit=100))
    for product in result.products:
        assert ingestor.storage.product_dir(product.storage_path).exists()


def test_metadata_only_catalogues_offline(settings: Settings) -> None:
    sources = sorted(p for p in (SAMPLES / "sentinel2").iterdir() if p.suffix == ".SAFE")
    summary = ingest_batch(settings, sources, workers=2, metadata_only=True)
    assert summary.ok, summary.describe()
    ingestor = build_ingestor(settings)
    products = ingestor.store.query(ProductQuery(limit=100)).products
    assert products and all(p.online_state == OnlineState.OFFLINE for p in products)
    assert all(p.storage_path is None for p in products)
    assert _archive_files(settings) == set()
    again = ingest_batch(settings, sources, metadata_only=True)
    assert ingestor.store.count() == len(products)
    assert again.ok


def test_retention_zero_is_skipped_not_quarantined(sqlite_settings: Settings,
                                                   tmp_path: Path) -> None:
    # An SLC outside Europe is not kept (0 months globally): S1B WV over the ocean
    slc = (SAMPLES / "sentinel1" /
           "S1B_WV_SLC__1SSV_20210403T083025_20210403T084452_026300_032390_D542.SAFE")
    ingestor = build_ingestor(sqlite_settings, browse=False)
    outcome = ingestor.ingest(slc)
    assert outcome.status == "skipped"
    assert "keeps no products of region global" in outcome.reason
    quarantine = sqlite_settings.quarantine_dir
    assert not quarantine.exists() or not list(quarantine.iterdir())
    ingestor.store.engine.dispose()


def test_settings_loads_from_copy(tmp_path: Path) -> None:
    assert load_settings(make_config(tmp_path)).archive_dir == tmp_path / "data" / "archive"
