"""pin tickets: single-use proofs of a spoken PIN

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pin_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("ticket_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_pin_tickets_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pin_tickets")),
        sa.UniqueConstraint("ticket_hash", name=op.f("uq_pin_tickets_ticket_hash")),
    )
    with op.batch_alter_table("pin_tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pin_tickets_customer_id"), ["customer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pin_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pin_tickets_customer_id"))

    op.drop_table("pin_tickets")
