"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
"""

from alembic import op

from libs.common.migrations import sql_file

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql_file(__file__, "${up_revision}.sql"))


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
