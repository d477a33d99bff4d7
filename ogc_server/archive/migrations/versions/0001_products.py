"""The products table with its spatial and temporal indexes.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from ogc_server.archive.tables import Footprint, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if not sqlite:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "products",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("identifier", sa.String(255), nullable=False),
        sa.Column("collection", sa.String(128), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("platform_serial_identifier", sa.String(8), nullable=False),
        sa.Column("instrument", sa.String(32), nullable=False),
        sa.Column("sensor_mode", sa.String(32)),
        sa.Column("product_type", sa.String(32), nullable=False),
        sa.Column("processing_level", sa.String(32), nullable=False),
        sa.Column("start_time", UTCDateTime, nullable=False),
        sa.Column("end_time", UTCDateTime, nullable=False),
        sa.Column("creation_date", UTCDateTime),
        sa.Column("ingestion_date", UTCDateTime, nullable=False),
        sa.Column("modification_date", UTCDateTime, nullable=False),
        sa.Column("footprint", Footprint, nullable=False),
        sa.Column("minx", sa.Float, nullable=False),
        sa.Column("miny", sa.Float, nullable=False),
        sa.Column("maxx", sa.Float, nullable=False),
        sa.Column("maxy", sa.Float, nullable=False),
        sa.Column("orbit_number", sa.Integer),
        sa.Column("relative_orbit_number", sa.Integer),
        sa.Column("orbit_direction", sa.String(16)),
        sa.Column("cloud_cover", sa.Float),
        sa.Column("snow_cover", sa.Float),
        sa.Column("polarisation_mode", sa.String(8)),
        sa.Column("polarisation_channels", sa.String(32)),
        sa.Column("antenna_look_direction", sa.String(8)),
        sa.Column("minimum_incidence_angle", sa.Float),
        sa.Column("maximum_incidence_angle", sa.Float),
        sa.Column("resolution", sa.Float),
        sa.Column("tile_id", sa.String(16)),
        sa.Column("track", sa.Integer),
        sa.Column("frame", sa.Integer),
        sa.Column("timeliness", sa.String(32)),
        sa.Column("processing_baseline", sa.String(16)),
        sa.Column("production_status", sa.String(32), nullable=False),
        sa.Column("file_name", sa.String(300)),
        sa.Column("size", sa.BigInteger),
        sa.Column("checksum", sa.String(140)),
        sa.Column("online_state", sa.String(16), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("retention_deadline", UTCDateTime),
        sa.Column("storage_path", sa.String(1024)),
        sa.Column("quicklook_path", sa.String(1024)),
        sa.Column("thumbnail_path", sa.String(1024)),
        sa.Column("browse_path", sa.String(1024)),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.UniqueConstraint("identifier", name="uq_products_identifier"),
    )
    # (identifier too: the default order, newest first then identifier, comes from the index,
    # so the first page of a whole collection needs no sort of all of it; PostgreSQL needs the
    # order spelt out, with NULLS LAST as the queries ask)
    if sqlite:
        op.create_index(
            "ix_products_collection_start", "products", ["collection", "start_time", "identifier"]
        )
    else:
        op.execute(
            "CREATE INDEX ix_products_collection_start ON products (collection,"
            " start_time DESC NULLS LAST, identifier DESC NULLS LAST)"
        )
    op.create_index("ix_products_start", "products", ["start_time"])
    op.create_index("ix_products_tile_start", "products", ["tile_id", "start_time"])
    op.create_index(
        "ix_products_relorbit_start", "products", ["relative_orbit_number", "start_time"]
    )
    op.create_index("ix_products_retention", "products", ["retention_deadline"])
    op.create_table(
        "collection_keys",
        sa.Column("key", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("identifier", sa.String(128), nullable=False, unique=True),
    )
    if sqlite:
        # 5-D R*Tree over lon, lat, time (julian days), collection key and cloud cover (-1: none),
        # kept in step by triggers inside the writing transaction.
        op.execute(
            "CREATE VIRTUAL TABLE products_rtree USING rtree(id, minx, maxx, miny, maxy,"
            " mint, maxt, minc, maxc, mincl, maxcl)"
        )
        op.execute(
            """CREATE TRIGGER products_collection_key BEFORE INSERT ON products BEGIN
                 INSERT INTO collection_keys (identifier) SELECT new.collection
                 WHERE NOT EXISTS (SELECT 1 FROM collection_keys
                                   WHERE identifier = new.collection);
               END"""
        )
        op.execute(
            """CREATE TRIGGER products_collection_key_update BEFORE UPDATE OF collection
                 ON products BEGIN
                 INSERT INTO collection_keys (identifier) SELECT new.collection
                 WHERE NOT EXISTS (SELECT 1 FROM collection_keys
                                   WHERE identifier = new.collection);
               END"""
        )
        row = """(new.id, new.minx, new.maxx, new.miny, new.maxy, julianday(new.start_time),
                  julianday(new.end_time),
                  (SELECT key FROM collection_keys WHERE identifier = new.collection),
                  (SELECT key FROM collection_keys WHERE identifier = new.collection),
                  coalesce(new.cloud_cover, -1), coalesce(new.cloud_cover, -1))"""
        op.execute(
            f"""CREATE TRIGGER products_rtree_insert AFTER INSERT ON products BEGIN
                 INSERT INTO products_rtree VALUES {row};
               END"""
        )
        # (a conflict clause inside a trigger would yield to an outer UPSERT's: plain UPDATE)
        op.execute(
            """CREATE TRIGGER products_rtree_update AFTER UPDATE OF minx, maxx, miny, maxy,
                 start_time, end_time, collection, cloud_cover ON products BEGIN
                 UPDATE products_rtree SET minx = new.minx, maxx = new.maxx, miny = new.miny,
                   maxy = new.maxy, mint = julianday(new.start_time),
                   maxt = julianday(new.end_time),
                   minc = (SELECT key FROM collection_keys WHERE identifier = new.collection),
                   maxc = (SELECT key FROM collection_keys WHERE identifier = new.collection),
                   mincl = coalesce(new.cloud_cover, -1), maxcl = coalesce(new.cloud_cover, -1)
                 WHERE id = new.id;
               END"""
        )
        op.execute(
            """CREATE TRIGGER products_rtree_delete AFTER DELETE ON products BEGIN
                 DELETE FROM products_rtree WHERE id = old.id;
               END"""
        )
    else:
        op.execute(
            "CREATE INDEX ix_products_collection_cloud ON products (collection, cloud_cover)"
        )
        # Collection, acquisition period and footprint in one GiST index (btree_gist, a
        # trusted contrib module), PostGIS's counterpart of SQLite's R*Tree: a query of one
        # collection by period and place reads only the matching entries, where a footprint
        # index alone returns every product of every collection around a place. It serves
        # spatial queries without a collection too (one spatial search per collection), so
        # the footprint index is only made without btree_gist: beside it, the planner would
        # take the footprint index for point queries (a point has no area to estimate).
        if bind.execute(sa.text(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'btree_gist'"
        )).first():
            op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
            op.execute(
                "CREATE INDEX ix_products_collection_period_footprint ON products USING GIST"
                " (collection, tstzrange(start_time, greatest(start_time, end_time), '[]'),"
                " footprint)"
            )
        else:
            op.execute("CREATE INDEX ix_products_footprint ON products USING GIST (footprint)")

def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS products_rtree")
    op.drop_table("products")
    op.drop_table("collection_keys")
