"""Smoke runs of the benchmarks (bench/): small archives, SQLite, results in a temporary folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def _run(script: str, results: Path, *extra: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick", "--results", str(results), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return json.loads((results / script.replace(".py", ".json")).read_text())


@pytest.mark.slow
def test_ingest_benchmark_smoke(tmp_path: Path) -> None:
    result = _run("ingest.py", tmp_path, "--products", "400")
    assert set(result) >= {"benchmark", "timestamp", "machine", "parameters", "generation",
                           "read_baseline", "runs", "goal"}
    assert set(result["machine"]) >= {"nproc", "python", "sqlite"}
    assert result["parameters"]["products"] == 400
    assert result["read_baseline"]["products_per_s"] > 0
    (run,) = result["runs"]
    assert (run["backend"], run["workers"]) == ("sqlite", 2)
    assert run["ok"] and run["stored"] == 400 and run["products_per_s"] > 0
    assert run["ratio_to_read"] > 0


@pytest.mark.slow
def test_catalogue_benchmark_smoke(tmp_path: Path) -> None:
    result = _run("catalogue.py", tmp_path, "--products", "1500", "--repeat", "3")
    assert set(result) >= {"benchmark", "timestamp", "machine", "parameters", "plan", "runs"}
    run = result["runs"]["sqlite"]
    assert run["build"]["stored"] == 1500 and run["build"]["products_per_s"] > 0
    assert set(run["lookup"]) == {"cold", "warm"}
    assert set(run["queries"]) == {"a_s2_germany_month_cloud", "b_s2_point_all_time",
                                   "c_s2_tile_3_years", "d_collection_by_date",
                                   "e_s1_grd_europe_week"}
    for query in run["queries"].values():
        for kind in ("cold", "warm"):
            assert {"p50_ms", "p95_ms"} <= set(query[kind]) and query[kind]["n"] == 3
        assert query["x_lookup_warm"] is not None
    assert run["queries"]["d_collection_by_date"]["total_median"] > 0


@pytest.mark.slow
def test_wms_benchmark_smoke(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "wms.py"), "--quick", "--results", str(tmp_path),
         "--threads", "1,2"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    result = json.loads((tmp_path / "wms.json").read_text())
    assert set(result) >= {"benchmark", "timestamp", "machine", "parameters", "backends"}
    run = result["backends"]["sqlite"]
    assert run["browse_products"] > 0
    assert set(run["requests"]) == {"wms", "wms_time", "tiles_first", "tiles_cached"}
    for kind, per in run["requests"].items():
        # GetMap is also asked once of the fresh server before the warm-up
        assert set(per) == ({"1", "2", "first_pass"} if kind == "wms" else {"1", "2"})
        for figures in per.values():
            assert figures["not_a_map"] == 0 and figures["requests_per_s"] > 0
            assert {"p50_ms", "p95_ms"} <= set(figures["server"])
