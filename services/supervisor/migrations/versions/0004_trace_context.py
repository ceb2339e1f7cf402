"""supervisor: the W3C trace context of each delivery job, so the worker joins the send's trace.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from libs.common.migrations import sql_file

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql_file(__file__, "0004_trace_context.sql"))


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
