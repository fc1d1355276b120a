"""store_special_hours (a store's hours on particular dates), customer_settings (hints), and
an index of order lines by product ("goes well with" reads a product's orders)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_order_lines_product_id", "order_lines", ["product_id"], unique=False)
    op.create_table(
        "store_special_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("opens", sa.String(length=5), nullable=True),
        sa.Column("closes", sa.String(length=5), nullable=True),
        sa.CheckConstraint(
            "(opens IS NULL AND closes IS NULL) OR (opens IS NOT NULL AND closes IS NOT NULL"
            " AND opens < closes)",
            name=op.f("ck_store_special_hours_hours"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_store_special_hours_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_special_hours")),
        sa.UniqueConstraint("store_id", "day", name=op.f("uq_store_special_hours_store_id")),
    )
    op.create_index(
        op.f("ix_store_special_hours_store_id"), "store_special_hours", ["store_id"], unique=False
    )
    op.create_table(
        "customer_settings",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("hints", sa.Boolean(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_settings_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_settings")),
    )


def downgrade() -> None:
    op.drop_table("customer_settings")
    op.drop_index(op.f("ix_store_special_hours_store_id"), table_name="store_special_hours")
    op.drop_table("store_special_hours")
    op.drop_index("ix_order_lines_product_id", table_name="order_lines")
