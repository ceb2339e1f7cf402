"""supervisor: the tenant's message templates (reply box outside the 24 h window, reminders).

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
    op.execute(sql_file(__file__, "0008_message_templates.sql"))


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
