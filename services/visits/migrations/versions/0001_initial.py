"""visits: initial tables.

Revision ID: 0001
Revises:
"""

from alembic import op

from libs.common.migrations import sql_file

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql_file(__file__, "0001_initial.sql"))


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
