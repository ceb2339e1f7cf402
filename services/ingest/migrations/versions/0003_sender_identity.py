"""ingest: a lead keyed by its identity (E.164, WhatsApp id or BSUID), reply address, ad ids.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from libs.common.migrations import sql_file

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql_file(__file__, "0003_sender_identity.sql"))


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
