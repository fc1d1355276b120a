"""PIN lockouts end: customers.pin_locked_until; a device's own sign-in failures and lock

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("pin_locked_until", sa.DateTime(), nullable=True))
    op.add_column(
        "devices",
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("devices", sa.Column("sign_in_locked_until", sa.DateTime(), nullable=True))
    # Accounts locked for good by the old rule get a lock that ends: the next wrong PIN
    # locks them again, for a limited time.
    op.execute("UPDATE customers SET failed_pin_attempts = 4 WHERE failed_pin_attempts > 4")


def downgrade() -> None:
    # both tables are referenced by populated ones: SQLite drops the columns in place
    # (ALTER TABLE … DROP COLUMN) rather than rebuild the tables
    op.drop_column("devices", "sign_in_locked_until")
    op.drop_column("devices", "failed_sign_ins")
    op.drop_column("customers", "pin_locked_until")
