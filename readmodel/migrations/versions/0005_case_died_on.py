"""cases.died_on: the date of death of a case closed by a death (END-2)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Cases closed before this column keep it empty: a process that finds such a case closed ends
    # on the local date of ``closed_at`` (activities/read_model.py ``case_closure``).
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("died_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("died_on")
