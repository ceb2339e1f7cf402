"""supervisor: interactive list messages (a button opening up to 10 rows to pick one of).

Revision ID: 0009
Revises: 0008
"""

from alembic import op

from libs.common.migrations import sql_file

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql_file(__file__, "0009_list_messages.sql"))


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
