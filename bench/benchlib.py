"""Shared pieces of the benchmarks: machine facts, throw-away catalogues, tables, results."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from ogc_server.settings import Settings, load_settings  # noqa: E402

CONFIG = ROOT / "config" / "ogc-server.yml"
RESULTS = Path(__file__).resolve().parent / "results"
PG_ADMIN_URL = os.environ.get("OGC_SERVER_BENCH_PG",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgres")


def parse_backends(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if name not in BACKENDS:
            raise SystemExit(f"unknown backend {name!r} (known: {', '.join(BACKENDS)})")
    return names


def parse_ints(text: str) -> list[int]:
    return [int(n) for n in text.split(",") if n.strip()]


# Catalogues -----------------------------------------------------------------------------------


@contextmanager
def catalogue(backend: str, folder: Path, pg_admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """A database URL for a fresh, empty catalogue; the database is removed afterwards."""
    if backend == "sqlite":
        path = folder / f"catalogue-{uuid.uuid4().hex[:8]}.sqlite"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"ogc_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
            ), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def settings_for(data_dir: Path, database_url: str) -> Settings:
    """The platform's configuration with its data in ``data_dir`` and the given catalogue."""
    env = {"OGC_SERVER_DATA": str(data_dir), "OGC_SERVER_DATABASE_URL": database_url}
    return load_settings(CONFIG, environ=env)


# Facts ----------------------------------------------------------------------------------------


def postgres_version(pg_admin_url: str = PG_ADMIN_URL) -> dict[str, str | None]:
    try:
        engine = sa.create_engine(pg_admin_url)
        with engine.connect() as conn:
            server = conn.execute(sa.text("SHOW server_version")).scalar()
            postgis = conn.execute(sa.text(
                "SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'"
            )).scalar()
        engine.dispose()
        return {"postgresql": server, "postgis": postgis}
    except Exception as exc:  # no server: the SQLite figures still stand
        return {"postgresql": None, "postgis": None, "error": str(exc).splitlines()[0]}


def machine(backends: Sequence[str], pg_admin_url: str = PG_ADMIN_URL) -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sa.__version__,
    }
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            total = next(line for line in fh if line.startswith("MemTotal"))
        info["memory_gb"] = round(int(total.split()[1]) / 1024 / 1024, 1)
    except (OSError, StopIteration):
        pass
    if "postgres" in backends:
        info.update(postgres_version(pg_admin_url))
    return info


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: other processes on the machine show here."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on this platform
        return None


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Figures --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    if len(ordered) == 1:
        return ordered[0]
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000.0 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 0.5), 3),
        "p95_ms": round(percentile(ms, 0.95), 3),
        "mean_ms": round(statistics.fmean(ms), 3) if ms else float("nan"),
        "max_ms": round(max(ms), 3) if ms else float("nan"),
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table, numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], int | float) for row in rows) if rows else False
               for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if numeric[i] else v.ljust(w)
                         for i, (v, w) in enumerate(zip(values, widths, strict=True))).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:.2f}" if value >= 1 else f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write_results(folder: Path, name: str, payload: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path
