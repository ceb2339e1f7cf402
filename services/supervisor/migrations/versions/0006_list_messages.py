"""supervisor: interactive list messages (a button opening up to 10 rows to pick one of).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from libs.common.migrations import sql_file

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql_file(__file__, "0006_list_messages.sql"))


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
