"""The data map (services/data_map.py) names every table and column, and erasing a child removes
everything it lists for them: a scan of every table afterwards finds nothing of theirs, by id or
by the words seeded about them, but the tombstone; a brother in the same household keeps his own."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import undefer

from heat.extensions import db
from heat.models import (
    AdultCheck,
    Agency,
    Assessment,
    AssessmentVersion,
    Child,
    ChildAddress,
    ChronologyEntry,
    Export,
    FlagResponse,
    Handover,
    InformationRequest,
    Meeting,
    PendingSave,
    PlanChange,
    RecordChange,
    ReviewDecision,
    SignificantAdult,
    Transfer,
    assessment_children,
)
from heat.services import audit, data_map, exports, retention
from tests import helpers
from tests.test_assessment_flow import definition
from tests.test_retention import OVER_25, decide

# Everything seeded about Leo that must not survive his erasure (invented, as in the demo data).
LEO_WORDS = (
    "Leo",
    "Larch Close",
    "LS9 4QT",
    "introduced as",
    "Larchfield Primary",
    "dinosaur",
    "garden swing",
    "Dan's caution",
    "tea-time routine",
)


def test_every_table_and_column_is_in_the_data_map():
    for table in db.metadata.sorted_tables:
        assert table.name in data_map.MAP, f"{table.name} has no entry in the data map"
        entry = data_map.MAP[table.name]
        columns = {c.key for c in table.columns}
        listed = set(entry.personal) | set(entry.plain)
        assert not set(entry.personal) & set(entry.plain), f"{table.name}: a column listed twice"
        assert columns - listed == set(), f"{table.name}: columns missing from the data map"
        assert listed - columns == set(), f"{table.name}: the data map lists columns that do not exist"
        assert entry.erasure in (data_map.DELETE, data_map.BLANK, data_map.KEEP, data_map.NONE)
        assert entry.why
        # What erasure does to a table it changes is in its steps; a table kept says why.
        assert bool(entry.steps) == (entry.erasure in (data_map.DELETE, data_map.BLANK)), table.name
    assert set(data_map.MAP) == set(db.metadata.tables), "the data map lists tables that do not exist"


def _visit(app, client, child_id: int, children: list[int], voices: dict[int, str]) -> int:
    """A submitted visit of `children`, each child's own voice as given (2026.4 asks each child)."""
    day = dt.date.today() - dt.timedelta(days=5)
    assessment_id = helpers.start(client, child_id, children)
    helpers.complete(client, assessment_id, definition(app), day=day)
    answers = {**helpers.voice_data(), **helpers.each_child_seen(client, assessment_id)}
    answers.update({f"voice_{child}": said for child, said in voices.items()})
    assert helpers.save(client, assessment_id, "voice", answers).status_code == 302
    assert helpers.submit(client, assessment_id).status_code == 302
    return assessment_id


def _seed(app, make, signed_in) -> dict[str, Any]:
    team, other_team = make.team("Larch"), make.team("Elsewhere")
    worker, supervisor = make.user("practitioner", team), make.user("supervisor", team)
    household = make.household(team)
    leo = make.child(team, "Leo", "Walsh", months=OVER_25, household=household)
    mia = make.child(team, "Mia", "Walsh", months=OVER_25 - 30, household=household)
    w, s = signed_in(worker), signed_in(supervisor)
    own = _visit(app, w, leo.id, [leo.id], {leo.id: "Leo showed me his dinosaur."})
    shared = _visit(
        app,
        w,
        mia.id,
        [leo.id, mia.id],
        {leo.id: "Leo said the garden swing is his.", mia.id: "Both children played in the garden."},
    )
    assert helpers.decide(s, own, "agreed", "Leo's home is safe; tea-time routine is good.").status_code == 302
    today = dt.date.today()
    with app.app_context():
        decision = db.session.scalar(select(ReviewDecision).where(ReviewDecision.assessment_id == own))
        dana = SignificantAdult(
            child_id=leo.id,
            household_id=household.id,
            name="Dana Walsh",
            relationship_to_child="Mother",
            residence="lives_here",
            cares_for_child="yes",
            recorded_on=today,
        )
        dan = SignificantAdult(
            child_id=leo.id,
            name="Man introduced as 'Dan'",
            residence="visiting",
            recorded_on=today,
            checks=[AdultCheck(checked_on=today, note="Police check: Dan's caution for assault")],
        )
        nan = SignificantAdult(
            child_id=mia.id, household_id=household.id, name="Rita Walsh", residence="visiting", recorded_on=today
        )
        agency = Agency(child_id=leo.id, name="Larchfield Primary", contact="Leo's class teacher")
        db.session.add_all([dana, dan, nan, agency])
        db.session.flush()
        db.session.add_all(
            [
                ChildAddress(
                    child_id=leo.id, from_date=today, line_1="14 Larch Close", town="Leeds", postcode="LS9 4QT"
                ),
                ChildAddress(child_id=mia.id, from_date=today, line_1="3 Rowan Way", town="Leeds", postcode="LS8 1AB"),
                InformationRequest(child_id=leo.id, agency_id=agency.id, asked_on=today, what="Leo's attendance"),
                Meeting(child_id=leo.id, held_on=today, kind="Leo's core group", invited="Dana Walsh; Leo's school"),
                RecordChange(child_id=leo.id, summary="Name corrected to Leo"),
                Transfer(
                    child_id=leo.id,
                    from_team_id=team.id,
                    to_team_id=other_team.id,
                    by_id=worker.id,
                    note="Leo moves to Larch Close",
                ),
                Handover(child_id=leo.id, to_worker_id=worker.id, by_id=supervisor.id, note="Leo: visit weekly"),
                ChronologyEntry(
                    child_id=leo.id,
                    created_by_id=worker.id,
                    occurred_on=today,
                    source_kind="agency",
                    source="Larchfield Primary",
                    summary="Leo late to school",
                ),
                PlanChange(
                    child_id=leo.id,
                    changed_by_id=worker.id,
                    effective_date=today,
                    from_status="cp",
                    to_status="cin",
                    note="Leo doing better",
                    status="requested",
                ),
                FlagResponse(
                    decision_id=decision.id,
                    child_id=leo.id,
                    flag_title="Leo not seen",
                    response="discussed",
                    reason="Leo asleep",
                ),
                PendingSave(
                    user_id=worker.id,
                    assessment_id=own,
                    section_id="voice",
                    reason="conflict",
                    seen_version=1,
                    sealed=b"sealed answers about Leo",
                    expires_at=dt.datetime(2100, 1, 1),
                ),
            ]
        )
        # Two finished exports: one took in Leo's visits (its ZIP holds his name), one another team's.
        holding = Export(
            requested_by_id=worker.id,
            team_ids=[team.id],
            date_from=today - dt.timedelta(days=30),
            date_to=today,
            status="done",
            filename="x",
        )
        elsewhere = Export(
            requested_by_id=worker.id,
            team_ids=[other_team.id],
            date_from=today - dt.timedelta(days=30),
            date_to=today,
            status="done",
            filename="y",
        )
        db.session.add_all([holding, elsewhere])
        db.session.flush()
        for export in (holding, elsewhere):
            path = exports.export_path(export)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"PK leo's visits")
        seeded = {
            "leo": leo.id,
            "mia": mia.id,
            "household": household.id,
            "own": own,
            "shared": shared,
            "dana": dana.id,
            "dan": dan.id,
            "nan": nan.id,
            "holding": exports.export_path(holding),
            "elsewhere": exports.export_path(elsewhere),
            "holding_id": holding.id,
        }
        db.session.commit()
    return seeded


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        if value.startswith(b"%PDF"):
            return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(value)).pages)
        return value.decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _refers_to(column, table_name: str) -> bool:
    return any(fk.column.table.name == table_name for fk in column.foreign_keys)


def leftovers(app, child_id: int, own_visit: int, words: tuple[str, ...]) -> list[str]:
    """Every value in every table that refers to the child by id or holds one of the words,
    except the tombstone and what the audit trail keeps (ids only)."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).mappings():
                for column in table.columns:
                    value = row[column.key]
                    where = f"{table.name}.{column.key}={value!r:.60}"
                    if table.name != "audit_events":
                        if _refers_to(column, "children") and value == child_id:
                            found.append(where)
                        if _refers_to(column, "assessments") and value == own_visit:
                            found.append(where)
                    text = _text(value).lower()
                    found += [f"{where} holds {word!r}" for word in words if word.lower() in text]
    return found


@pytest.fixture
def seeded(app, make, signed_in):
    return _seed(app, make, signed_in)


@pytest.mark.pdf_renders
def test_erasing_a_child_leaves_nothing_of_theirs_but_the_tombstone(app, make, signed_in, seeded):
    leo = seeded["leo"]
    with app.app_context():
        reference = db.session.get_one(Child, leo).reference
    words = (*LEO_WORDS, reference)
    assert len(leftovers(app, leo, seeded["own"], words)) > 20  # the scan sees what was seeded
    admin = signed_in(make.user("admin"))
    assert decide(admin, leo, "erase").status_code == 302

    assert leftovers(app, leo, seeded["own"], words) == []
    with app.app_context():
        tombstone = db.session.get_one(Child, leo)
        assert (tombstone.first_name, tombstone.last_name, tombstone.reference) == ("Erased", "record", f"erased-{leo}")
        assert tombstone.date_of_birth == data_map.TOMBSTONE_BIRTH and tombstone.erased_at is not None
        # His own visit is an empty shell the audit trail still names.
        shell = db.session.get_one(Assessment, seeded["own"])
        personal = data_map.MAP["assessments"].personal
        assert shell.status == "erased"
        assert all(getattr(shell, c) in (None, {}, []) for c in personal), personal
        # The export that held his visits is deleted; the other team's is not.
        assert not seeded["holding"].exists() and seeded["elsewhere"].exists()
        assert db.session.get_one(Export, seeded["holding_id"]).status == "expired"
        # The audit trail still verifies.
        assert audit.verify()[1] is None
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


@pytest.mark.pdf_renders
def test_a_brother_or_sister_keeps_their_own(app, make, signed_in, seeded):
    mia = seeded["mia"]
    assert decide(signed_in(make.user("admin")), seeded["leo"], "erase").status_code == 302
    with app.app_context():
        assert db.session.get_one(Child, mia).household_id == seeded["household"]
        # The shared visit stays hers, with its answers and versions; Leo has left it.
        covered = set(
            db.session.scalars(
                select(assessment_children.c.child_id).where(assessment_children.c.assessment_id == seeded["shared"])
            )
        )
        assert covered == {mia}
        shared = db.session.get_one(Assessment, seeded["shared"])
        assert shared.status == "submitted"
        assert [seen["voice"] for seen in shared.children_seen.values()] == ["Both children played in the garden."]
        # Practice quality counts Mia alone as seen awake there now (both children were, before).
        assert (shared.children_asked_awake, shared.children_seen_awake) == (1, 1)
        assert shared.grades and shared.people
        # Its versions' PDFs were printed again without him, from the answers they kept.
        for version in db.session.scalars(
            select(AssessmentVersion)
            .where(AssessmentVersion.assessment_id == seeded["shared"])
            .options(undefer(AssessmentVersion.pdf))
        ):
            text = _text(version.pdf)
            assert "Mia Walsh" in text and "Both children played in the garden." in text and "Leo" not in text
            assert version.pdf_sha256 == hashlib.sha256(version.pdf).hexdigest()
            assert [c["id"] for c in version.snapshot["children"]] == [mia]
        # The adults of the household stay hers (Dana is recorded for her now); Dan, Leo's alone, goes.
        dana = db.session.get_one(SignificantAdult, seeded["dana"])
        assert (dana.name, dana.child_id, dana.household_id) == ("Dana Walsh", mia, seeded["household"])
        assert db.session.get(SignificantAdult, seeded["nan"]) is not None
        assert db.session.get(SignificantAdult, seeded["dan"]) is None
        assert db.session.scalar(select(ChildAddress.line_1).where(ChildAddress.child_id == mia)) == "3 Rowan Way"


def test_a_child_alone_in_their_household_takes_it_and_its_adults(app, make, signed_in):
    team = make.team()
    household = make.household(team)
    leo = make.child(team, "Leo", "Walsh", months=OVER_25, household=household)
    with app.app_context():
        db.session.add(
            SignificantAdult(
                child_id=leo.id,
                household_id=household.id,
                name="Dana Walsh (Mother)",
                residence="lives_here",
                recorded_on=dt.date.today(),
            )
        )
        db.session.add(ChildAddress(child_id=leo.id, from_date=dt.date.today(), line_1="14 Larch Close"))
        db.session.commit()
    assert decide(signed_in(make.user("admin")), leo.id, "erase").status_code == 302
    assert leftovers(app, leo.id, 0, ("Leo", "Dana Walsh", "Larch Close")) == []
    with app.app_context():
        assert db.session.scalar(select(db.metadata.tables["households"].c.id)) is None


def test_records_erased_before_the_map_are_erased_again(app, make):
    """A tombstone left by the erasure that kept addresses and adults loses them to
    `flask retention erase-again`, and keeps the day it was first erased."""
    team = make.team()
    leo = make.child(team, "Leo", "Walsh", months=OVER_25)
    first = dt.datetime(2026, 1, 5, 9, 0)
    with app.app_context():
        tombstone = db.session.get_one(Child, leo.id)
        tombstone.first_name, tombstone.last_name, tombstone.erased_at = "Erased", "record", first
        db.session.add(ChildAddress(child_id=leo.id, from_date=dt.date.today(), line_1="14 Larch Close"))
        db.session.add(
            SignificantAdult(
                child_id=leo.id, name="Man introduced as 'Dan'", residence="visiting", recorded_on=dt.date.today()
            )
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["retention", "erase-again"])
    assert result.exit_code == 0 and "Erased again: 1 records." in result.output
    assert leftovers(app, leo.id, 0, ("Leo", "Larch Close", "introduced as")) == []
    with app.app_context():
        assert db.session.get_one(Child, leo.id).erased_at == first
        assert audit.verify()[1] is None


def test_erasing_again_commits_a_batch_at_a_time_and_a_run_stopped_part_way_keeps_its_work(app, make, monkeypatch):
    team = make.team()
    kids = [make.child(team, f"Kid{n}", "Walsh", months=OVER_25) for n in range(5)]
    with app.app_context():
        for n, kid in enumerate(kids):
            tombstone = db.session.get_one(Child, kid.id)
            tombstone.first_name, tombstone.last_name = "Erased", "record"
            tombstone.erased_at = dt.datetime(2026, 1, 5, 9, 0)
            db.session.add(ChildAddress(child_id=kid.id, from_date=dt.date.today(), line_1=f"{n + 1} Rowan Street"))
        db.session.commit()
    monkeypatch.setattr(retention, "ERASE_BATCH", 2)
    real_erase, erased = data_map.erase, []

    def erase_then_fail_on_the_fourth(child):
        if len(erased) == 3:
            raise RuntimeError("the server stopped")
        erased.append(child.id)
        real_erase(child)

    monkeypatch.setattr(data_map, "erase", erase_then_fail_on_the_fourth)
    stopped = app.test_cli_runner().invoke(args=["retention", "erase-again"])
    assert stopped.exit_code != 0
    # The first batch (two records) was committed; the second failed part way and was not.
    kept = [n + 1 for n, k in enumerate(kids) if leftovers(app, k.id, 0, (f"{n + 1} Rowan Street",))]
    assert kept == [3, 4, 5]
    monkeypatch.setattr(data_map, "erase", real_erase)
    again = app.test_cli_runner().invoke(args=["retention", "erase-again"])
    assert again.exit_code == 0 and "Erased again: 5 records." in again.output
    assert all(leftovers(app, k.id, 0, ("Rowan Street",)) == [] for k in kids)
    with app.app_context():
        assert audit.verify()[1] is None
