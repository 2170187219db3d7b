"""kpis: targets broken down by org unit and period (目标任务分解)

Revision ID: 0027
Revises: 0026
"""

from alembic import op
import sqlalchemy as sa


revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kpi_target_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kpi_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("old", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("new", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["user.id"], name=op.f("fk_kpi_target_change_changed_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["kpi_id"], ["kpi.id"], name=op.f("fk_kpi_target_change_kpi_id_kpi"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_kpi_target_change_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["task_force_id"],
            ["task_force.id"],
            name=op.f("fk_kpi_target_change_task_force_id_task_force"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_target_change")),
    )
    with op.batch_alter_table("kpi_target_change", schema=None) as batch_op:
        batch_op.create_index("ix_kpi_target_change_kpi", ["kpi_id", "id"], unique=False)

    op.create_table(
        "kpi_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kpi_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("weight", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kpi_id"], ["kpi.id"], name=op.f("fk_kpi_unit_kpi_id_kpi"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_kpi_unit_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["task_force_id"], ["task_force.id"], name=op.f("fk_kpi_unit_task_force_id_task_force")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_unit")),
        sa.UniqueConstraint("kpi_id", "org_unit_id", name="uq_kpi_unit"),
    )
    with op.batch_alter_table("kpi_unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpi_unit_kpi_id"), ["kpi_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kpi_unit_org_unit_id"), ["org_unit_id"], unique=False)

    op.create_table(
        "kpi_unit_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kpi_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("numerator", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("denominator", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["user.id"], name=op.f("fk_kpi_unit_reading_entered_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["kpi_id"], ["kpi.id"], name=op.f("fk_kpi_unit_reading_kpi_id_kpi"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_kpi_unit_reading_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["task_force_id"],
            ["task_force.id"],
            name=op.f("fk_kpi_unit_reading_task_force_id_task_force"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_unit_reading")),
        sa.UniqueConstraint("kpi_id", "org_unit_id", "period", name="uq_kpi_unit_reading"),
    )
    with op.batch_alter_table("kpi_unit_reading", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpi_unit_reading_kpi_id"), ["kpi_id"], unique=False)

    op.create_table(
        "kpi_unit_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kpi_id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kpi_id"], ["kpi.id"], name=op.f("fk_kpi_unit_target_kpi_id_kpi"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_unit.id"], name=op.f("fk_kpi_unit_target_org_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["task_force_id"],
            ["task_force.id"],
            name=op.f("fk_kpi_unit_target_task_force_id_task_force"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_unit_target")),
        sa.UniqueConstraint("kpi_id", "org_unit_id", "period", name="uq_kpi_unit_target"),
    )
    with op.batch_alter_table("kpi_unit_target", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kpi_unit_target_kpi_id"), ["kpi_id"], unique=False)

    with op.batch_alter_table("kpi", schema=None) as batch_op:
        batch_op.add_column(sa.Column("breakdown", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("aggregation", sa.String(length=10), server_default="sum", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "tolerance", sa.Numeric(precision=6, scale=2), server_default="5", nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("kpi", schema=None) as batch_op:
        batch_op.drop_column("tolerance")
        batch_op.drop_column("aggregation")
        batch_op.drop_column("breakdown")

    with op.batch_alter_table("kpi_unit_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpi_unit_target_kpi_id"))

    op.drop_table("kpi_unit_target")
    with op.batch_alter_table("kpi_unit_reading", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpi_unit_reading_kpi_id"))

    op.drop_table("kpi_unit_reading")
    with op.batch_alter_table("kpi_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kpi_unit_org_unit_id"))
        batch_op.drop_index(batch_op.f("ix_kpi_unit_kpi_id"))

    op.drop_table("kpi_unit")
    with op.batch_alter_table("kpi_target_change", schema=None) as batch_op:
        batch_op.drop_index("ix_kpi_target_change_kpi")

    op.drop_table("kpi_target_change")
