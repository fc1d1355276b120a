"""deals, checkout_money, loyalty_entries, in_store_receipts

A store's promotions; what a quote (and the order placed from it) saved with deals and paid in
points; the points ledger; which orders were in-store purchases.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, key: str = "id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.{key}"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=40), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("buy", sa.Integer(), nullable=True),
        sa.Column("pay", sa.Integer(), nullable=True),
        sa.Column("member_price_cents", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'percent' AND percent > 0 AND percent < 100)"
            " OR (kind = 'multibuy' AND buy > pay AND pay > 0)"
            " OR (kind = 'member' AND member_price_cents > 0)",
            name=op.f("ck_deals_terms"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_deals_dates")),
        _fk("deals", "store_id", "stores"),
        _fk("deals", "product_id", "products"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
    )
    op.create_index(op.f("ix_deals_store_id"), "deals", ["store_id"], unique=False)
    op.create_index(op.f("ix_deals_product_id"), "deals", ["product_id"], unique=False)
    op.create_table(
        "checkout_money",
        sa.Column("quote_id", sa.String(length=36), nullable=False),
        sa.Column("subtotal_cents", sa.Integer(), nullable=False),
        sa.Column("savings", sa.JSON(), nullable=False),
        sa.Column("points_used", sa.Integer(), nullable=False),
        sa.CheckConstraint("points_used >= 0", name=op.f("ck_checkout_money_points")),
        _fk("checkout_money", "quote_id", "quotes"),
        sa.PrimaryKeyConstraint("quote_id", name=op.f("pk_checkout_money")),
    )
    op.create_table(
        "loyalty_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("loyalty_entries", "customer_id", "customers"),
        _fk("loyalty_entries", "order_id", "orders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_entries")),
        sa.UniqueConstraint("order_id", "reason", name=op.f("uq_loyalty_entries_order_id")),
    )
    op.create_index(
        op.f("ix_loyalty_entries_customer_id"), "loyalty_entries", ["customer_id"], unique=False
    )
    op.create_index(
        "ix_loyalty_entries_customer_created",
        "loyalty_entries",
        ["customer_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "in_store_receipts",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("till", sa.Integer(), nullable=False),
        _fk("in_store_receipts", "order_id", "orders"),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_in_store_receipts")),
    )


def downgrade() -> None:
    op.drop_table("in_store_receipts")
    op.drop_index("ix_loyalty_entries_customer_created", table_name="loyalty_entries")
    op.drop_index(op.f("ix_loyalty_entries_customer_id"), table_name="loyalty_entries")
    op.drop_table("loyalty_entries")
    op.drop_table("checkout_money")
    op.drop_index(op.f("ix_deals_product_id"), table_name="deals")
    op.drop_index(op.f("ix_deals_store_id"), table_name="deals")
    op.drop_table("deals")
