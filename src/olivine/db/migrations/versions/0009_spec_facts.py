"""import revisions keep the spec's facts (BuildRequires, provides) for a build batch's order

Revision ID: perf2_2
Revises: trust_2
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "perf2_2"
down_revision: str | None = "trust_2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_revisions") as batch:
        batch.add_column(sa.Column("spec_facts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_revisions") as batch:
        batch.drop_column("spec_facts")
