"""Invented demo data: two teams, nine accounts, four children, a history of real, scored visits,
and a practice case three of North's practitioners have graded.

Never loaded in production. Every name here is made up.
"""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image, ImageDraw
from sqlalchemy import func, select

from heat.checklist.vocabulary import GRADED, NOT_SEEN, ROOM_NOT_IN_HOME, ROOM_NOT_SEEN, ROOM_REFUSED, ROOM_SEEN
from heat.extensions import db
from heat.models import Child, ChildAddress, Household, SignificantAdult, Team, User
from heat.services import (
    agencies,
    checklists,
    child_record,
    family_history,
    history,
    joint,
    no_access,
    photos,
    practice,
    register,
    reviews,
)
from heat.services import assessments as svc
from heat.services.passwords import hash_password
from heat.services.summaries import refresh_summary

DEMO_PASSWORD = "heat-demo-password"
ACCOUNTS = [
    ("north-worker@example.org", "Nadia Patel", "practitioner", "North"),
    ("north-supervisor@example.org", "Sam Okafor", "supervisor", "North"),
    ("north-practitioner@example.org", "Priya Shah", "practitioner", "North"),
    # North's other practitioners: their grades of the practice case make the team's spread.
    ("north-worker-3@example.org", "Ben Adeyemi", "practitioner", "North"),
    ("north-worker-4@example.org", "Ola Nowak", "practitioner", "North"),
    ("south-worker@example.org", "Tom Reid", "practitioner", "South"),
    ("south-supervisor@example.org", "Grace Lin", "supervisor", "South"),
    ("auditor@example.org", "Alex Morgan", "auditor", None),
    ("admin@example.org", "Jo Fisher", "admin", None),
]


class NotEmpty(RuntimeError):
    pass


def _months_ago(today: dt.date, months: int) -> dt.date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(year, month + 1, min(today.day, 28))


def load(today: dt.date | None = None) -> None:
    """Load the demo into an empty database. The caller commits."""
    if db.session.scalar(select(func.count()).select_from(User)):
        raise NotEmpty("the database already has users; demo data goes only into an empty database")
    today = today or dt.date.today()
    teams = {name: Team(name=name) for name in ("North", "South")}
    db.session.add_all(teams.values())
    password_hash = hash_password(DEMO_PASSWORD)
    users = {}
    for email, name, role, team in ACCOUNTS:
        users[email] = User(
            email=email, name=name, role=role, team=teams[team] if team else None, password_hash=password_hash
        )
    db.session.add_all(users.values())
    db.session.flush()

    north_worker = users["north-worker@example.org"]
    carters = Household(team_id=teams["North"].id)
    hughes = Household(team_id=teams["North"].id)
    walsh = Household(team_id=teams["South"].id)
    db.session.add_all([carters, hughes, walsh])
    db.session.flush()

    def child(ref, first, last, months, team, household, plan, category=None, worker=north_worker):
        c = Child(
            reference=ref,
            first_name=first,
            last_name=last,
            date_of_birth=_months_ago(today, months),
            team_id=teams[team].id,
            household_id=household.id,
            plan_status=plan,
            plan_category=category,
            allocated_worker=worker,
        )
        db.session.add(c)
        return c

    lily = child("HEAT-1001", "Lily", "Carter", 4, "North", carters, "cp", "neglect")
    noah = child("HEAT-1002", "Noah", "Carter", 36, "North", carters, "cp", "neglect")
    mia = child("HEAT-1003", "Mia", "Hughes", 12, "North", hughes, "cin")
    south_worker = users["south-worker@example.org"]
    leo = child("HEAT-2001", "Leo", "Walsh", 24, "South", walsh, "early_help", worker=south_worker)
    db.session.flush()

    # Mia's home slips a little at each visit: Green, then Amber, with a Serious grade by the fourth.
    # She stepped down from a Child Protection plan to Child in Need after the first visit, asked
    # for by her worker and agreed by the supervisor, who agreed the first three visits (answering
    # each active flag); the fourth is waiting for review.
    supervisor = users["north-supervisor@example.org"]
    days = [today - dt.timedelta(days=30 * months_back) for months_back in (4, 3, 2, 1)]
    for visit, day in enumerate(days):
        assessment = record_visit(north_worker, mia, day, visit, plan="cp" if visit == 0 else "cin")
        if visit == 0:
            mia.plan_status, mia.plan_category = "cp", "neglect"
            request = child_record.change_plan(
                mia,
                north_worker,
                "cin",
                None,
                day + dt.timedelta(days=10),
                "Child Protection conference: the home has been Green since the plan began. "
                "Step down to Child in Need.",
            )
            child_record.decide_step_down(
                request,
                supervisor,
                "agreed",
                "Agreed at supervision: keep monthly visits and watch the kitchen.",
                on=dt.datetime.combine(day + dt.timedelta(days=10), dt.time(12)),
            )
        if visit < 3:
            answers = {
                f.key: ("discussed", "Talked through at supervision; the actions cover it.")
                for f in reviews.flags_to_answer(assessment)
            }
            reviews.record_decision(
                assessment, supervisor, "agreed", "Agreed. Keep visiting; check the actions at the next visit.", answers
            )

    # Lily's worker has asked to step her down to a Child in Need plan: it waits for the supervisor,
    # and her plan stays Child Protection until then.
    child_record.change_plan(
        lily,
        north_worker,
        "cin",
        None,
        today - dt.timedelta(days=2),
        "Review conference recommended stepping down: the home has improved and the mother engages well.",
    )

    # Leo's second visit could not see the kitchen: it is Incomplete, with no average on his trend,
    # and the dashboard says "Not everything was seen" rather than "Better".
    for visit, months_back in enumerate((2, 1)):
        record_visit(
            south_worker,
            leo,
            today - dt.timedelta(days=30 * months_back),
            visit,
            plan="early_help",
            kitchen_refused=visit == 1,
        )

    # Addresses (invented). Mia's family moved to temporary accommodation between her third and
    # fourth visits. An unborn baby, due in ten weeks, was registered in the South team: the mother
    # moved from another area's supported accommodation while pregnant, so there is a prompt in
    # the chronology to ask that area for what it knows.
    def home(c, line_1, postcode, area, kind, months_back):
        db.session.add(
            ChildAddress(
                child_id=c.id,
                from_date=_months_ago(today, months_back),
                line_1=line_1,
                town=area.split(" ")[0],
                postcode=postcode,
                area=area,
                kind=kind,
                recorded_by_id=(c.allocated_worker or north_worker).id,
            )
        )

    for c, line_1, postcode in (
        (lily, "12 Example Row", "ZZ1 1AA"),
        (noah, "12 Example Row", "ZZ1 1AA"),
        (mia, "4 Sample Court", "ZZ1 2BB"),
        (leo, "9 Demo Lane", "ZZ2 3CC"),
    ):
        home(c, line_1, postcode, f"{c.team.name}shire Council (invented)", "family_home", 12)
    db.session.flush()
    register.move(
        north_worker,
        mia,
        register.Address(
            "Flat 2, Placeholder House", None, "Northshire", "ZZ1 4DD", "Northshire Council (invented)", "temporary"
        ),
        days[2] + dt.timedelta(days=10),
    )
    baby = Child(
        reference="HEAT-2002",
        first_name="",
        last_name="Price",
        expected_date_of_birth=today + dt.timedelta(days=70),
        team_id=teams["South"].id,
        plan_status="cin",
        allocated_worker=south_worker,
        active_flags=[],
        rooms_never_seen=[],
    )
    db.session.add(baby)
    db.session.flush()
    home(baby, "Room 6, Example Lodge", "ZZ9 9ZZ", "Eastshire Council (invented)", "supported", 5)
    db.session.flush()
    register.move(
        south_worker,
        baby,
        register.Address(
            "3 Specimen Walk", None, "Southshire", "ZZ2 5EE", "Southshire Council (invented)", "temporary"
        ),
        today - dt.timedelta(days=40),
    )

    # Family history (invented), on every review, step-down decision and handover: the Carters'
    # mother's older children were on plans in another area; the baby's mother lost her earlier
    # children to care.
    family_history.add(
        lily,
        north_worker,
        family_history.EntryDetails(
            "cp_plans",
            "household",
            "The mother's two older children were on Child Protection plans for neglect; both plans "
            "ended when the children went to live with their father.",
            "Westshire Council (invented)",
            dt.date(today.year - 6, 3, 1),
            dt.date(today.year - 4, 6, 30),
            "Westshire children's social care (invented), duty team",
            today - dt.timedelta(days=30),
        ),
    )
    family_history.add(
        baby,
        south_worker,
        family_history.EntryDetails(
            "children_removed",
            "child",
            "Two earlier children were removed from the mother's care and later adopted.",
            "Eastshire Council (invented)",
            dt.date(today.year - 3, 1, 10),
            None,
            "The mother, at the first visit",
            today - dt.timedelta(days=35),
        ),
    )

    # Mia's mother's partner stays overnight and her father has contact: neither has ever been
    # at a visit. The old area was asked for its records about the family three weeks ago and has
    # not answered.
    db.session.add_all(
        [
            SignificantAdult(
                child_id=mia.id,
                household_id=mia.household_id,
                name="Jay (surname not known)",
                relationship_to_child="mothers_partner",
                sex="male",
                residence="stays_overnight",
                cares_for_child="unknown",
                recorded_on=days[1] + dt.timedelta(days=2),
                recorded_by_id=north_worker.id,
            ),
            SignificantAdult(
                child_id=mia.id,
                household_id=mia.household_id,
                name="Kyle Fictional",
                relationship_to_child="father",
                sex="male",
                residence="contact",
                cares_for_child="no",
                parental_responsibility="yes",
                recorded_on=days[0] - dt.timedelta(days=7),
                recorded_by_id=north_worker.id,
            ),
        ]
    )
    old_area = agencies.add_agency(
        baby,
        south_worker,
        "Eastshire children's social care (invented)",
        "Eastshire Council (invented)",
        True,
        "Duty team, 01632 960000 (invented)",
        "Knew the mother when her earlier children were removed",
    )
    agencies.add_request(
        baby,
        south_worker,
        old_area,
        today - dt.timedelta(days=21),
        "Records of the earlier children's removal and any assessments of the mother.",
    )
    midwife = agencies.add_agency(
        baby, south_worker, "Community midwifery (invented)", "Southshire Council (invented)", False, None, "Midwife"
    )
    notes_asked = agencies.add_request(
        baby, south_worker, midwife, today - dt.timedelta(days=12), "Antenatal booking notes."
    )
    agencies.mark_received(
        notes_asked,
        baby,
        south_worker,
        today - dt.timedelta(days=9),
        "Booked late at 28 weeks; missed two antenatal appointments.",
        "Late booking and missed care fit the pattern Eastshire described; ask the midwife to the next meeting.",
    )
    # Eastshire, on the baby's list of agencies, was left out of the meeting: the page names it.
    agencies.add_meeting(
        baby,
        south_worker,
        today - dt.timedelta(days=7),
        "Pre-birth planning meeting",
        [midwife.id],
        "Mother, health visitor, housing",
        "Mother, midwife, health visitor",
        "Housing",
    )
    db.session.flush()
    # Nobody answered at Mia's home twice since the last visit that got in.
    for days_ago, reason, next_steps in (
        (12, "no_answer", "Left a card and phoned the mother: no answer. Told the manager."),
        (5, "refused", "Mother's partner said through the door she was out. Booked an unannounced visit."),
    ):
        no_access.record(mia, north_worker, today - dt.timedelta(days=days_ago), None, reason, next_steps)
    refresh_summary(mia)

    child_record.add_entry(
        mia,
        north_worker,
        days[1] + dt.timedelta(days=3),
        "out_of_area",
        "Health visiting, Westshire (invented), by phone",
        "Previous health visitor says the family moved from Westshire in the spring; two missed health reviews there.",
    )
    _joint_visits(today, teams["North"], north_worker, users["north-practitioner@example.org"], supervisor, mia)
    _practice_case(users)


# Joint visits in North: Priya Shah graded twelve visits of three children alongside Nadia Patel, and
# is asked to grade Mia's latest. They mostly agree; they read the floors, the kitchen surfaces and
# the toys differently (those descriptions come up for review), and now and then differ by a grade.
JOINT_CHILDREN = (
    ("HEAT-1004", "Ava", "Brooks", 8),
    ("HEAT-1005", "Finn", "Doyle", 20),
    ("HEAT-1006", "Ruby", "Marsh", 30),
)
READ_DIFFERENTLY = ("general.floors", "kitchen.surfaces", "warmth.toys")


def _second_grade(item_id: str, grade: str, turn: int) -> str:
    """The second practitioner's grade for an item the first graded `grade` (`turn` counts the
    items graded so far, so the pattern of differences is the same every time)."""
    if grade not in GRADED:
        return grade
    if item_id in READ_DIFFERENTLY:
        step = (-1, 1, 2, 0, -2, 1)[turn % 6]
    else:
        step = 1 if turn % 37 == 3 else -1 if turn % 41 == 5 else 0
    return str(min(5, max(1, int(grade) + step)))


def _joint_visits(today: dt.date, team: Team, first: User, second: User, supervisor: User, mia: Child) -> None:
    days = [today - dt.timedelta(days=30 * months_back) for months_back in (4, 3, 2, 1)]
    turn = 0
    for reference, first_name, last_name, months in JOINT_CHILDREN:
        household = Household(team_id=team.id)
        db.session.add(household)
        db.session.flush()
        c = Child(
            reference=reference,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=_months_ago(today, months),
            team_id=team.id,
            household_id=household.id,
            plan_status="cin",
            allocated_worker=first,
        )
        db.session.add(c)
        db.session.flush()
        for visit, day in enumerate(days):
            assessment = record_visit(first, c, day, visit, plan="cin")
            grading = joint.invite(first, assessment, second)
            db.session.flush()
            own = assessment.grade_map
            for domain in checklists.definition_for(assessment).domains:
                answers = svc.section_answers(assessment, domain.id)
                for item in domain.items:
                    if item.id in own:
                        turn += 1
                        answers[item.id] = {**answers[item.id], "grade": _second_grade(item.id, own[item.id], turn)}
                joint.save_area(grading, second, domain.id, answers, completing=True)
            joint.submit(grading, second)
            if visit < 3:
                flags = {
                    f.key: ("discussed", "Talked through at supervision.") for f in reviews.flags_to_answer(assessment)
                }
                reviews.record_decision(assessment, supervisor, "agreed", "Agreed. Keep visiting.", flags)
        refresh_summary(c)
    latest = max(history.recorded_visits(mia.id), key=lambda a: a.visit_date or today)
    joint.invite(first, latest, second)


PRACTICE_DESCRIPTION = "\n".join(
    (
        "A two-bedroom first-floor flat, visited unannounced on a cold afternoon. Mother and her 5-month-old son "
        "are at home; her partner arrives during the visit.",
        "The flat smells of stale smoke and of nappies. Two full nappy sacks sit by the front door and the living "
        "room floor is sticky, with crumbs and a spilt drink by the sofa.",
        "Kitchen: formula, baby rice and a little fresh food. The fridge works and is clean. Three used bottles "
        "stand unwashed by the sink; mother says she rinses them under the hot tap. The kettle is at the front of "
        "the worktop with its flex hanging down.",
        "Bathroom: clean and working, hot water very hot at the tap. Mother says she bathes the baby in a bath seat "
        "and 'pops out to grab a towel sometimes'. Razors and paracetamol are on the side of the bath.",
        "Sleep: a cot in mother's room with a firm mattress, but a pillow, a thick duvet and two soft toys are in "
        "it. Mother says the baby often falls asleep with her on the sofa in the evening, and her partner smokes.",
        "Safety: no smoke alarm on the ceiling (mother says it was taken down because it kept going off). Laundry "
        "capsules are in an open box on the kitchen floor. The partner's dog is friendly and stays in the kitchen.",
        "The heating is on and the flat is warm. There are a few toys and a play mat, and the baby has clean "
        "clothes of his own. No outside space.",
        "Mother listens and moves the capsules and the kettle while you are there; she says the sofa sleeping "
        "'only happens when he won't settle'.",
    )
)
# The reference: 2 Adequate wherever the description gives no worry, otherwise as below.
PRACTICE_REFERENCE = {
    "general.smell": "3",
    "general.floors": "3",
    "general.rubbish": "3",
    "kitchen.bottles": "3",
    "kitchen.hot": "3",
    "bathing.hot_water": "3",
    "bathing.never_alone": "4",
    "bathing.reach": "3",
    "sleep.night": "3",
    "sleep.mattress": "4",
    "sleep.sharing": "4",
    "safety.products": "4",
    "safety.smoking": "3",
    "outside.rubbish": "NA",
    "outside.water": "NA",
    "outside.boundary": "NA",
    "warmth.heating": "1",
    "carer.awareness": "3",
}
# How each demo practitioner's grades differ from the reference.
PRACTICE_ATTEMPTS = {
    "north-practitioner@example.org": {"general.floors": "2", "sleep.sharing": "5", "kitchen.hot": "2"},
    "north-worker-3@example.org": {"bathing.never_alone": "2", "sleep.mattress": "2", "safety.products": "3"},
    "north-worker-4@example.org": {"general.smell": "4", "carer.awareness": "2"},
}


def _practice_case(users: dict[str, User]) -> None:
    """A published practice case, graded by three of North's practitioners (not by north-worker,
    who can try it in the demo and then see the team's spread)."""
    admin = users["admin@example.org"]
    case = practice.create(
        admin,
        practice.CaseDetails(
            "A first-floor flat with a 5-month-old",
            PRACTICE_DESCRIPTION,
            checklists.current_definition().version,
            "under_1",
        ),
    )
    practice.add_photo(
        case,
        admin,
        photos.prepare(_drawn_cot()),
        "A drawing of the cot in mother's room: a pillow, a thick duvet and two soft toys are in it",
    )
    reference = {item.id: PRACTICE_REFERENCE.get(item.id, "2") for item in practice.definition_of(case).items}
    practice.set_reference(case, admin, reference)
    practice.publish(case, admin)
    for email, differences in PRACTICE_ATTEMPTS.items():
        practice.submit(case, users[email], {**reference, **differences})


def _drawn_cot() -> bytes:
    """The demo case's photo: a drawing (invented, like every demo record) of the cot it describes."""
    image = Image.new("RGB", (1200, 900), "#efe6d8")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 640, 1200, 900), fill="#9c7b5b")  # the floor
    draw.rectangle((240, 250, 960, 700), outline="#f7f3ee", width=18)  # the cot's frame
    for x in range(280, 960, 56):  # its bars
        draw.line((x, 260, x, 690), fill="#f7f3ee", width=10)
    draw.rectangle((258, 560, 942, 640), fill="#ffffff", outline="#d0c7bb", width=4)  # the mattress
    draw.rounded_rectangle((290, 470, 520, 575), radius=40, fill="#b8d4ea", outline="#7a9cb8", width=5)  # pillow
    draw.rounded_rectangle((470, 430, 930, 600), radius=60, fill="#e59aa6", outline="#b3646f", width=6)  # duvet
    for cx in (620, 800):  # two soft toys: a head and two ears each
        draw.ellipse((cx - 55, 330, cx + 55, 440), fill="#c69457", outline="#8a6030", width=5)
        for ear in (cx - 50, cx + 50):
            draw.ellipse((ear - 22, 310, ear + 22, 354), fill="#c69457", outline="#8a6030", width=5)
    for leg in (250, 950):
        draw.rectangle((leg - 12, 690, leg + 12, 760), fill="#f7f3ee")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _grade_for(item_id: str, visit: int) -> str:
    worsening = {
        "general.floors": ["2", "3", "3", "4"],
        "general.rubbish": ["2", "2", "3", "3"],
        "general.smell": ["2", "2", "3", "3"],
        "kitchen.surfaces": ["2", "3", "3", "3"],
        "kitchen.storage": ["1", "2", "3", "3"],
        "warmth.toys": ["2", "2", "2", "3"],
        "carer.actions_done": ["NA", "2", "3", "4"],
        "outside.play": ["NA", "NA", "NA", "NA"],
        "sleep.older_children": ["NA", "NA", "NA", "NA"],
    }
    if item_id in worsening:
        return worsening[item_id][visit]
    return "NA" if item_id.startswith("outside") else ["1", "2", "2", "2"][visit]


def record_visit(
    worker: User, child: Child, day: dt.date, visit: int, plan: str, kitchen_refused: bool = False, key: str = ""
):
    """A submitted visit to a Hughes or Walsh child, graded as the demo's `visit` (0 to 3) was;
    `key` tells apart more visits graded alike (the page cost tests add some)."""
    key = key or f"demo-{child.reference}-{visit}"
    assessment = svc.start(worker, [child], key)
    carer = {"Hughes": "Kelly", "Walsh": "Dana", "Brooks": "Jade", "Doyle": "Leanne", "Marsh": "Toni"}[child.last_name]

    def save(section_id, data):
        svc.save_section(
            assessment,
            worker,
            section_id,
            data,
            completing=True,
            seen_version=svc.section_version(assessment, section_id),
            save_key=f"{key}-{section_id}",
        )

    save(
        "visit",
        {
            "visit_date": day,
            "visit_time": "10:30",
            "announced": "yes" if visit % 2 == 0 else "no",
            "visit_type": plan,
            "plan_status": plan,
            "plan_category": "neglect" if plan == "cp" else None,
            "joint_visitor": None,
            "joint_visitor_agency": None,
            "handover_from": None,
            "handover_to": None,
        },
    )
    # The visit's date sets the ages of the children on it, and so (since 2026.4) what it asks.
    definition = checklists.definition_for(assessment)
    save(
        "people",
        {
            "people": [
                {
                    "name": f"{carer} {child.last_name}",
                    "present": "yes",
                    "relationship": "mother",
                    "sex": "female",
                    "residence": "lives_here",
                    "cares_for_child": "yes",
                },
                {
                    "name": "Man introduced as 'Dan'",
                    "present": "yes",
                    "relationship": "friend_or_lodger",
                    "sex": "male",
                    "residence": "stays_overnight" if visit >= 2 else "visiting",
                    "cares_for_child": "no",
                },
            ],
            "absent_members": None,
            "new_partner": "unknown" if visit >= 2 else "no",
            "father_involvement": (
                "Father lives in another area; no contact since the summer. "
                "Details requested from that area's children's services."
            ),
        },
    )
    save(
        "rooms",
        {
            **{r.id: {"status": ROOM_SEEN, "reason": None} for r in definition.rooms},
            "outside": (
                {"status": ROOM_NOT_IN_HOME, "reason": None}
                if definition.room("outside").may_be_absent
                else {"status": ROOM_NOT_SEEN, "reason": "Flat has no garden."}
            ),
            **(
                {"kitchen": {"status": ROOM_REFUSED, "reason": "Mother said the kitchen was being painted."}}
                if kitchen_refused
                else {}
            ),
        },
    )
    for domain in definition.domains:
        grades = {}
        for item in domain.items:
            grade = NOT_SEEN if kitchen_refused and domain.id == "kitchen" else _grade_for(item.id, visit)
            grades[item.id] = {
                "grade": grade,
                "source": "observed" if grade in GRADED else None,
                "comment": "Worse than last visit." if grade in ("3", "4") and visit >= 2 else None,
            }
        # The smoke alarm works; the carbon monoxide alarm went missing at the third visit; the
        # family lived in supported accommodation, then a temporary flat.
        told = {
            "safety.co_alarm": "no" if visit >= 2 else "yes",
            "household.housing": "supported" if visit < 2 else "temporary",
            "carer.all_rooms": "no" if kitchen_refused else "yes",
        }
        answers = {
            q.id: {"answer": told.get(q.id) or next(k for k, _ in q.answers if k != q.concern)}
            for q in domain.questions
        }
        save(domain.id, {**answers, **grades})
    voice = f"{child.first_name} came to the worker and babbled; grizzly, with a heavy nappy."
    save(
        "voice",
        {
            **(
                {
                    f"seen_{child.id}": "awake",
                    f"voice_{child.id}": voice,
                }
                if definition.weighs_evidence
                else {
                    "child_seen": "yes",
                    "infant_seen_awake": "yes",
                    "child_voice": voice,
                }
            ),
            "child_seen_alone": "na",
            "parent_view": f"{carer} says she is tired and the flat is hard to keep on top of.",
            "shown_scores": "yes",
            "parent_rating": "2",
            "parent_agrees": "partly" if visit >= 2 else "yes",
            "family_copy_given_on": day,
            "practitioner_notes": None,
        },
    )
    save(
        "actions",
        {
            "strengths": f"{carer} is warm with {child.first_name} and engages with visits.",
            "worries": "The home is getting dirtier at each visit and agreed actions are slipping.",
            "advice_given": ["safer_sleep", "home_safety", "icon"],
            "actions": [
                {
                    "task": "Clear rubbish bags from the hallway",
                    "owner": f"{carer} {child.last_name}",
                    "due_date": day + dt.timedelta(days=7),
                    "status": "open",
                    "carried_forward": "",
                },
                {
                    "task": "Ask the fire service for a home safety check",
                    "owner": "Allocated worker",
                    "due_date": day + dt.timedelta(days=14),
                    "status": "open",
                    "referral": "fire_service",
                    "carried_forward": "",
                },
            ],
            "next_visit_date": day + dt.timedelta(days=30),
        },
    )
    svc.submit(assessment, worker, f"{key}-submit", assessment.version)
    return assessment
