"""visits: the W3C trace context of each outbox row, so its relay joins the request's trace.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from libs.common.migrations import sql_file

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql_file(__file__, "0002_trace_context.sql"))


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
