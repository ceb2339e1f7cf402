"""visits: the overlap rule exact at the stored precision (tstzrange, buffers included); agents synced from supervisor.

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
    op.execute(sql_file(__file__, "0005_exact_overlap_real_agents.sql"))


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
