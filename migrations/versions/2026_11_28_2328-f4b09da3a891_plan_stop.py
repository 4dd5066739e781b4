"""plan stop: why and when a stored plan stopped (a red flag, or on request)

Assessments and plans stored before this revision have the earlier shapes (triage
`seek_care_now`, six red-flag answers, plans with a client-stated triage) that the API no longer
reads, and they cannot be converted faithfully: the new red-flag questions were never asked, and
a plan's triage was not always the server's. Rather than leave rows the API would fail on, the
upgrade stops with a message when any exist (only development databases can hold them): export
what you need with the previous version, then start from an empty database.

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
    connection = op.get_bind()
    stored = {
        table: connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
        for table in ("patient_assessment", "patient_plan")
    }
    if any(stored.values()):
        raise RuntimeError(
            f"This database holds stored assessments or plans in the earlier format ({stored}); "
            "the triage levels, red-flag questions and plan documents have changed and cannot "
            "be converted faithfully. Export them with the previous version, then start from an "
            "empty database."
        )
    with op.batch_alter_table("patient_plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stop", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patient_plan", schema=None) as batch_op:
        batch_op.drop_column("stop")
