"""control characters out of stored log notes

A daily log's note now refuses control characters (C0 but tab, line feed and carriage return,
and DEL). A stored log is validated again whenever it is read, adapted to or summarised, so a
note stored before with one would make every read of the patient's logs fail. They are
invisible, so this takes them out of the notes; the downgrade has nothing to put back.

Revision ID: 7e1c2d9a4b60
Revises: 3b2ba92ee840
Create Date: 2026-11-29 06:10:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e1c2d9a4b60"
down_revision: str | Sequence[str] | None = "3b2ba92ee840"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The table and the characters as this revision knows them (never the application's, which
# move on).
progress_log = sa.table("progress_log", sa.column("id", sa.Uuid()), sa.column("body", sa.JSON()))
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BATCH = 1000  # logs read at a time: the table may hold millions


def upgrade() -> None:
    connection = op.get_bind()
    after = None
    while True:
        query = sa.select(progress_log.c.id, progress_log.c.body).order_by(progress_log.c.id)
        if after is not None:
            query = query.where(progress_log.c.id > after)
        rows = connection.execute(query.limit(BATCH)).all()
        if not rows:
            return
        for log_id, body in rows:
            note = body.get("note")
            if isinstance(note, str) and CONTROL_CHARACTERS.search(note):
                connection.execute(
                    sa.update(progress_log)
                    .where(progress_log.c.id == log_id)
                    .values(body={**body, "note": CONTROL_CHARACTERS.sub("", note)})
                )
        after = rows[-1][0]


def downgrade() -> None:
    """The characters taken out are not kept: there is nothing to put back."""
