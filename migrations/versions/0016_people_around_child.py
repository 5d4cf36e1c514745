"""The people around the child: adults' sex, relationship (from a list) and parental
responsibility; a parent with contact ("Does not live here but has contact with the child");
visits where the practitioner could not get in; what an information request received (summary,
analysis) or why it was withdrawn; a meeting's invitees from the child's agencies; addresses from
before the child was registered (until when)

Revision ID: 0016_people_around_child
Revises: 0015_visit_ages
Create Date: 2026-12-07 11:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_people_around_child"
down_revision = "0015_visit_ages"
branch_labels = None
depends_on = None

# The relationship used to be typed freely; the words most often typed map to the list, anything
# else (an uncle, a neighbour's name) to the nearest group, and nothing typed to "Not known".
RELATIONSHIP_WORDS = (
    ("mothers_partner", ("mother's partner", "mothers partner", "mum's partner", "mums partner", "stepfather")),
    ("fathers_partner", ("father's partner", "fathers partner", "dad's partner", "dads partner", "stepmother")),
    ("grandparent", ("grand", "nan", "gran")),
    ("friend_or_lodger", ("friend", "lodger", "neighbour")),
    ("other_relative", ("aunt", "uncle", "cousin", "sister", "brother", "sibling", "relative", "niece", "nephew")),
    ("mother", ("mother", "mum", "mom")),
    ("father", ("father", "dad")),
)


def relationship_key(typed):
    words = (typed or "").strip().lower().replace("’", "'")
    for key, starts in RELATIONSHIP_WORDS:
        if any(words == s or words.startswith(s) or f" {s}" in f" {words}" for s in starts):
            return key
    return "not_known"


def upgrade():
    op.create_table(
        "no_access_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("attempted_on", sa.Date(), nullable=False),
        sa.Column("attempted_at", sa.Time(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("next_steps", sa.Text(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_no_access_visits_by_id_users")),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name=op.f("fk_no_access_visits_child_id_children")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_no_access_visits")),
    )
    with op.batch_alter_table("no_access_visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_no_access_visits_attempted_on"), ["attempted_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_no_access_visits_child_id"), ["child_id"], unique=False)
    with op.batch_alter_table("significant_adults", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sex", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("parental_responsibility", sa.String(length=10), nullable=False, server_default="unknown")
        )
    with op.batch_alter_table("information_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_summary", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("analysis", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("child_addresses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("until", sa.Date(), nullable=True))
    # Meetings recorded before took invitees as free text only: no agency is known to be left out.
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invited_agencies", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("not_invited", sa.JSON(), nullable=False, server_default="[]"))
    adults = sa.table("significant_adults", sa.column("id", sa.Integer), sa.column("relationship_to_child", sa.String))
    connection = op.get_bind()
    for adult_id, typed in connection.execute(sa.select(adults.c.id, adults.c.relationship_to_child)).all():
        connection.execute(
            adults.update().where(adults.c.id == adult_id).values(relationship_to_child=relationship_key(typed))
        )
    with op.batch_alter_table("significant_adults", schema=None) as batch_op:
        batch_op.alter_column(
            "relationship_to_child", existing_type=sa.String(length=100), nullable=False, server_default="not_known"
        )


def downgrade():
    op.drop_table("no_access_visits")
    with op.batch_alter_table("child_addresses", schema=None) as batch_op:
        batch_op.drop_column("until")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_column("not_invited")
        batch_op.drop_column("invited_agencies")
    with op.batch_alter_table("information_requests", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_on")
        batch_op.drop_column("analysis")
        batch_op.drop_column("received_summary")
    with op.batch_alter_table("significant_adults", schema=None) as batch_op:
        batch_op.alter_column("relationship_to_child", existing_type=sa.String(length=100), nullable=True)
        batch_op.drop_column("parental_responsibility")
        batch_op.drop_column("sex")
