"""devices.last_failed_sign_in_at: a kiosk's failed sign-ins are forgiven after a quiet hour,
not by a successful one (which anyone with an account could make)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("devices", sa.Column("last_failed_sign_in_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # devices is referenced by populated tables: SQLite drops the column in place
    op.drop_column("devices", "last_failed_sign_in_at")
