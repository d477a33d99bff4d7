"""Shared fixtures: settings over temporary folders, and catalogues on SQLite and PostGIS."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ogc_server.archive.database import create_engine, upgrade
from ogc_server.archive.model import Product
from ogc_server.archive.store import ProductStore
from ogc_server.services import Services
from ogc_server.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLES = DATA / "samples"
PG_URL = os.environ.get("OGC_SERVER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_SERVICES = os.environ.get("OGC_SERVER_REQUIRE_SERVICES") == "1"


@pytest.fixture(autouse=True)
def _reset_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees another test's environment changes, nor the developer's configuration."""
    for name in list(os.environ):
        if name.startswith("OGC_SERVER_") and name not in {
            "OGC_SERVER_REQUIRE_SERVICES", "OGC_SERVER_TEST_PG"
        }:
            monkeypatch.delenv(name)


def make_config(tmp: Path, database_url: str | None = None, **extra: str) -> Path:
    """A copy of the platform's configuration whose data lives in ``tmp``."""
    config_dir = tmp / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "config" / "regions.geojson", config_dir / "regions.geojson")
    text = (ROOT / "config" / "ogc-server.yml").read_text()
    text = text.replace("${OGC_SERVER_DATA:-../data}", str(tmp / "data"))
    if database_url:
        text = text.replace("${OGC_SERVER_DATABASE_URL:-}", database_url)
    (config_dir / "ogc-server.yml").write_text(text)
    metadata = tmp / "metadata"
    if not metadata.exists():
        metadata.symlink_to(ROOT / "metadata")
    return config_dir / "ogc-server.yml"


def _admin_engine() -> sa.engine.Engine:
    """An engine on the PostgreSQL server's admin database; skips (or fails where the services
    are required) when no server answers."""
    try:
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # no server here
        if REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL is required here but not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    return admin


def _postgres_database() -> Iterator[str]:
    """A fresh PostGIS database for one test session, dropped afterwards."""
    admin = _admin_engine()
    name = f"ogc_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
            ), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using it runs on SQLite and on PostGIS (a clean schema each time)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalogue.sqlite'}"
        return
    url = request.getfixturevalue("postgres_url")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "DROP TABLE IF EXISTS products, collection_keys, orders, alembic_version CASCADE"))
    engine.dispose()
    yield url


@pytest.fixture
def store(database_url: str) -> Iterator[ProductStore]:
    engine = create_engine(database_url)
    upgrade(engine)
    yield ProductStore(engine, stats_ttl=0)
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(make_config(tmp_path, database_url))


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return load_settings(make_config(tmp_path))


# The demo archive: generated once per test session, catalogued on SQLite and on PostGIS -------

DEMO_PRODUCTS = 44
DEMO_NOW = "2026-11-01T00:00:00+00:00"


def _shared_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder shared by every xdist worker of this test run."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _run_id() -> str:
    return os.environ.setdefault("OGC_SERVER_TEST_RUN", uuid.uuid4().hex[:10])


def pytest_configure(config: pytest.Config) -> None:
    _run_id()  # set in the controller before xdist workers start, so they share it


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The controller drops the run's shared demo databases."""
    if hasattr(session.config, "workerinput"):
        return
    try:
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            names = conn.execute(sa.text(
                "SELECT datname FROM pg_database WHERE datname LIKE :p"),
                {"p": f"ogc_demo_{_run_id()}%"}).scalars().all()
            for name in names:
                conn.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ), {"n": name})
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    except Exception:  # no PostgreSQL here: nothing to drop
        pass


@pytest.fixture(scope="session")
def demo_sources(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A small demo archive (every collection, small rasters), generated once per test run."""
    from datetime import datetime

    from filelock import FileLock

    from ogc_server.demo import generate

    shared = _shared_dir(tmp_path_factory, "demo-sources")
    with FileLock(str(shared) + ".lock"):
        done = shared / ".done"
        if not done.exists():
            generate(shared, products=DEMO_PRODUCTS, seed=3,
                     now=datetime.fromisoformat(DEMO_NOW), raster_scale=0.25)
            done.touch()
    return sorted(p for p in shared.iterdir() if not p.name.startswith("."))


def _demo_settings(tmp: Path, sources: list[Path], database_url: str | None) -> Settings:
    """The demo catalogue, built once per run by whichever worker comes first."""
    from filelock import FileLock

    from ogc_server.ingest.pipeline import ingest_batch

    with FileLock(str(tmp) + ".lock"):
        config = tmp / "config" / "ogc-server.yml"
        done = tmp / ".done"
        if done.exists():
            return load_settings(config)
        settings = load_settings(make_config(tmp, database_url))
        summary = ingest_batch(settings, sources, workers=1)
        assert summary.ok, summary.describe()
        done.touch()
        return settings


@pytest.fixture(scope="session", params=["sqlite",
                                         pytest.param("postgres", marks=pytest.mark.postgres)])
def demo_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                  demo_sources: list[Path]) -> Settings:
    """Settings over the demo archive, catalogued on SQLite and (second run) on PostGIS.

    Built once per test run and shared by the xdist workers. Read-only: tests must not change
    this catalogue (use ``settings`` for writes).
    """
    tmp = _shared_dir(tmp_path_factory, f"demo-{request.param}")
    if request.param == "sqlite":
        return _demo_settings(tmp, demo_sources, None)
    url = _demo_database(tmp)
    return _demo_settings(tmp, demo_sources, url)


def _demo_database(tmp: Path) -> str:
    """The run's shared PostGIS database for the demo catalogue (dropped at session end)."""
    from filelock import FileLock

    name = f"ogc_demo_{_run_id()}"
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    admin = _admin_engine()
    with FileLock(str(tmp) + ".db.lock"), admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": name}).first()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url


@pytest.fixture(scope="session")
def demo_services(demo_settings: Settings) -> Iterator[Services]:
    """Services over the demo archive (SQLite, then PostGIS); read-only catalogue."""
    from ogc_server.services import build_services

    services = build_services(demo_settings, migrate=False)
    yield services
    services.engine.dispose()


@pytest.fixture(scope="session")
def demo_client(demo_services: Services) -> Any:
    """A test client of our Flask application (without the host applications) over the demo
    archive."""
    from ogc_server.web import create_app

    return create_app(demo_services).test_client()


@pytest.fixture(scope="session")
def demo_server(demo_settings: Settings, demo_services: Services) -> Iterator[str]:
    """The whole composed platform on 127.0.0.1 over the demo archive; yields its address.

    The platform writes its links with its public address, so the application is built once
    the server's port is known, with that address as ``public_url``.
    """
    import dataclasses

    from ogc_server.compose import build_application
    from tests.web.server import running

    built: dict[str, Any] = {}

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        return built["app"](environ, start_response)

    with running(application) as url:
        settings = demo_settings.model_copy(update={"public_url": url})
        built["app"] = build_application(settings, dataclasses.replace(demo_services,
                                                                       settings=settings))
        yield url


@pytest.fixture(scope="session")
def demo_products(demo_services: Services) -> list[Product]:
    """Every product of the demo archive."""
    from ogc_server.archive.query import ProductQuery

    return demo_services.store.query(ProductQuery(limit=1000)).products
