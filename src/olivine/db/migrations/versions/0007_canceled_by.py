"""tasks.canceled_by: who asked for the cancel of a task (its whole tree)

Revision ID: everyday_2
Revises: trust_1
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "everyday_2"
down_revision: str | None = "trust_1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("canceled_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("canceled_by")
