"""jobs: the job_starts outbox (reconciler, Idempotency-Key), one spelling of `canceled`

Revision ID: jobs_1
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "jobs_1"
down_revision: str | None = "contain_import_1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SPELLED = ("builds", "build_roots", "batch_items")


def upgrade() -> None:
    op.create_table(
        "job_starts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("workflow", sa.String(length=64), nullable=False),
        sa.Column("workflow_id", sa.String(length=128), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("submitter_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["submitter_id"], ["users.id"], name=op.f("fk_job_starts_submitter_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_job_starts_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_starts")),
        sa.UniqueConstraint("task_id", name=op.f("uq_job_starts_task_id")),
        sa.UniqueConstraint("workflow_id", name=op.f("uq_job_starts_workflow_id")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_job_starts_started", "job_starts", ["started_at"], unique=False)
    op.create_index(
        "uq_job_starts_key", "job_starts", ["submitter_id", "idempotency_key"], unique=True
    )
    for table in _SPELLED:  # one spelling everywhere: `canceled`, as tasks had it
        op.execute(f"UPDATE {table} SET status = 'canceled' WHERE status = 'cancelled'")


def downgrade() -> None:
    for table in _SPELLED:
        op.execute(f"UPDATE {table} SET status = 'cancelled' WHERE status = 'canceled'")
    op.drop_index("uq_job_starts_key", table_name="job_starts")
    op.drop_index("ix_job_starts_started", table_name="job_starts")
    op.drop_table("job_starts")
