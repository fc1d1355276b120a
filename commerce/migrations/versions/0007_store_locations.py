"""stores.latitude/longitude and customers.home_latitude/home_longitude: "which store is nearest"

The seed stores get their places here too, so a database seeded before this revision answers
at once; customers seeded before it are measured from their home store until the seeder gives
them a home point.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the seed stores (commerce/seed/data/stores.yml)
PLACES = {
    "riverside": (52.19852, -1.72618),
    "old-town": (52.20523, -1.70811),
    "northgate": (52.21984, -1.70472),
    "harbour": (49.18803, -2.10902),
}


def upgrade() -> None:
    op.add_column("stores", sa.Column("latitude", sa.Float(), nullable=True))
    op.add_column("stores", sa.Column("longitude", sa.Float(), nullable=True))
    op.add_column("customers", sa.Column("home_latitude", sa.Float(), nullable=True))
    op.add_column("customers", sa.Column("home_longitude", sa.Float(), nullable=True))
    stores = sa.table(
        "stores", sa.column("id", sa.String), sa.column("latitude"), sa.column("longitude")
    )
    for store_id, (latitude, longitude) in PLACES.items():
        op.execute(
            stores.update()
            .where(stores.c.id == store_id)
            .values(latitude=latitude, longitude=longitude)
        )


def downgrade() -> None:
    # SQLite drops the columns in place (both tables are referenced by populated tables)
    op.drop_column("customers", "home_longitude")
    op.drop_column("customers", "home_latitude")
    op.drop_column("stores", "longitude")
    op.drop_column("stores", "latitude")
