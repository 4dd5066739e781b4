"""plan stop: why and when a stored plan stopped (a red flag, or on request)

Revision ID: f4b09da3a891
Revises: 3b071d788193
Create Date: 2026-11-28 23:28:47.436379
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f4b09da3a891"
down_revision: str | Sequence[str] | None = "3b071d788193"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patient_plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stop", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patient_plan", schema=None) as batch_op:
        batch_op.drop_column("stop")
