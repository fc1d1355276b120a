"""customers.subject (their key in the assistant's conversation store) and erased_at

Every existing customer gets a random subject here, so their conversations can be found and
erased from the first turn after the upgrade.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 08:00:00.000000
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("subject", sa.String(length=32), nullable=True))
    op.add_column("customers", sa.Column("erased_at", sa.DateTime(), nullable=True))
    connection = op.get_bind()
    customers = sa.table("customers", sa.column("id", sa.Integer), sa.column("subject"))
    for (customer_id,) in connection.execute(sa.select(customers.c.id)).all():
        connection.execute(
            customers.update()
            .where(customers.c.id == customer_id)
            .values(subject=secrets.token_hex(16))
        )
    op.create_index(op.f("ix_customers_subject"), "customers", ["subject"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_customers_subject"), table_name="customers")
    op.drop_column("customers", "erased_at")
    op.drop_column("customers", "subject")
