"""ingest: who waits longest, and the change feed behind WatchChanges.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from libs.common.migrations import sql_file

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql_file(__file__, "0005_inbox_and_changes.sql"))


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
