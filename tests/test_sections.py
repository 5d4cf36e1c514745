"""Every section of every published checklist version is whole: a partial that asks its questions,
a form, and answers that go to the form and come back unchanged (what the section page, Check
answers and the tablet's API all rely on)."""

from __future__ import annotations

from forms.assessment import ChildOnVisit, answers_of, form_data, section_form
from heat.services import assessments


def test_every_section_of_every_version_has_a_partial_a_form_and_answers_that_round_trip(app):
    children = (ChildOnVisit(1, "Lily", False), ChildOnVisit(2, "Baby", True))
    with app.test_request_context():
        definitions = app.extensions["heat_definitions"]
        assert definitions
        for version, definition in definitions.items():
            sections = assessments.sections(definition)
            assert [s.id for s in sections][:3] == ["visit", "people", "rooms"], version
            assert [s.id for s in sections][-2:] == ["voice", "actions"], version
            assert len({s.id for s in sections}) == len(sections), version
            for section in sections:
                app.jinja_env.get_template(section.partial)
                form = section_form(definition, section.id, children)(meta={"csrf": False})
                answers = answers_of(definition, section.id, form)
                again = section_form(definition, section.id, children)(
                    formdata=None, data=form_data(definition, section.id, answers), meta={"csrf": False}
                )
                assert answers_of(definition, section.id, again) == answers, (version, section.id)
                assert (section.kind == assessments.SectionKind.DOMAIN) == (
                    section.id in {d.id for d in definition.domains}
                ), (version, section.id)
