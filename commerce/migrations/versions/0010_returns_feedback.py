"""returns (return authorisations with their short codes) and feedback (what customers tell
the shop)

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-07 21:00:00.000000

Two new tables; nothing existing changes. (Written on 0008; at a merge after 0009 its
``down_revision`` becomes "0009".)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("refund_to", sa.String(length=8), nullable=False),
        sa.Column("refund_cents", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=40), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.Column("refunded_at", sa.DateTime(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_returns_quantity")),
        sa.CheckConstraint("refund_cents >= 0", name=op.f("ck_returns_refund")),
        sa.CheckConstraint("refund_to IN ('payment', 'points')", name=op.f("ck_returns_refund_to")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["pickup_bookings.id"],
            name=op.f("fk_returns_booking_id_pickup_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_returns_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_returns_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_returns_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint("code", name=op.f("uq_returns_code")),
        sa.UniqueConstraint("customer_id", "idempotency_key", name=op.f("uq_returns_customer_id")),
    )
    op.create_index(op.f("ix_returns_customer_id"), "returns", ["customer_id"])
    op.create_index(op.f("ix_returns_order_line_id"), "returns", ["order_line_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("sentiment", sa.String(length=8), nullable=False),
        sa.Column("store_id", sa.String(length=40), nullable=True),
        sa.Column("order_line_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_feedback_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_feedback_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_feedback_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index(op.f("ix_feedback_customer_id"), "feedback", ["customer_id"])
    op.create_index("ix_feedback_created", "feedback", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_created", table_name="feedback")
    op.drop_index(op.f("ix_feedback_customer_id"), table_name="feedback")
    op.drop_table("feedback")
    op.drop_index(op.f("ix_returns_order_line_id"), table_name="returns")
    op.drop_index(op.f("ix_returns_customer_id"), table_name="returns")
    op.drop_table("returns")
