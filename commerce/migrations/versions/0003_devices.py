"""devices: home speakers and store kiosks; phones and guests; expiring customer tokens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00.000000

SQLite cannot drop a table that populated tables still reference while foreign keys are on,
so ``customers`` is never rebuilt: its new columns are plain ``ADD COLUMN``s, the phone's
uniqueness is a unique index, and the downgrade drops them with ``DROP COLUMN``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("store_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "(kind = 'home' AND customer_id IS NOT NULL AND store_id IS NULL)"
            " OR (kind = 'kiosk' AND store_id IS NOT NULL AND customer_id IS NULL)",
            name=op.f("ck_devices_binding"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_devices_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_devices_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_devices_token_hash")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        # a literal default ('0' is false on both databases) fills the existing rows
        batch_op.add_column(sa.Column("is_guest", sa.Boolean(), server_default="0", nullable=False))
        batch_op.create_index(batch_op.f("ix_customers_phone"), ["phone"], unique=True)

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "device_id",
                sa.Integer(),
                sa.ForeignKey("devices.id", name=op.f("fk_api_tokens_device_id_devices")),
                nullable=True,
            )
        )


def downgrade() -> None:
    # 0002 cannot express an expiring or revoked token; dropping the columns would turn such
    # tokens into everlasting ones, so they go
    op.execute(
        sa.text(
            "DELETE FROM api_tokens WHERE expires_at IS NOT NULL OR revoked_at IS NOT NULL"
            " OR device_id IS NOT NULL"
        )
    )
    # nothing references api_tokens, so SQLite may rebuild it to drop the foreign key
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("device_id")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("expires_at")

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_phone"))
    op.drop_column("customers", "is_guest")
    op.drop_column("customers", "phone")

    op.drop_table("devices")
