"""visits: slot offers sent to leads as WhatsApp lists, and per-tenant settings.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

from libs.common.migrations import sql_file

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql_file(__file__, "0007_slot_offers.sql"))


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
