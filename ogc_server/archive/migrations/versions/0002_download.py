"""Downloads: products found by file name, and reload orders of offline products.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from ogc_server.archive.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # /download/<file name> looks products up by file name: one B-tree lookup, not a scan.
    op.create_index("ix_products_file_name", "products", ["file_name"])
    op.create_table(
        "orders",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("product", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created", UTCDateTime, nullable=False),
        sa.Column("updated", UTCDateTime, nullable=False),
        sa.Column("message", sa.String(1024)),
    )
    # At most one pending order per product: ordering twice joins the pending order.
    op.create_index(
        "ux_orders_pending_product", "orders", ["product"], unique=True,
        sqlite_where=sa.text("state IN ('queued', 'running')"),
        postgresql_where=sa.text("state IN ('queued', 'running')"),
    )
    op.create_index("ix_orders_product", "orders", ["product", "created"])


def downgrade() -> None:
    op.drop_table("orders")
    op.drop_index("ix_products_file_name", table_name="products")
