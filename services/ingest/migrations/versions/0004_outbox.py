"""ingest: its own outbox (libs/common/outbox.py), for work handed on with a stored message (a lead's button tap
to visits), so webhook intake never waits on another service.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from libs.common.outbox import table_ddl

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(table_ddl("ingest"))


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
