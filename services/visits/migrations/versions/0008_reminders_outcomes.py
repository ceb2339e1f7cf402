"""visits: visit outcomes (attended, no-show per lead) and per-tenant reminder settings.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from libs.common.migrations import sql_file

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql_file(__file__, "0008_reminders_outcomes.sql"))


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
