"""Practice quality: the page, each measure's CSV and the page as a PDF, over a chosen period."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup

from forms.oversight import PracticePeriodForm
from heat.checklist.practice_quality import MEDIAN, SHARE, Period
from heat.extensions import db
from heat.models import utcnow
from heat.reports.charts import measure_svg
from heat.reports.csv_export import csv_chunks
from heat.reports.pdf import render_pdf
from heat.services import access, audit
from heat.services import practice_quality as practice_service
from heat.views import roles_required

bp = Blueprint("practice_quality", __name__)


def _period(form: PracticePeriodForm) -> Period | None:
    """The chosen period, the last three months when none is chosen, or None when the dates are wrong."""
    if not form.validate():
        return None
    if form.date_from.data is None:
        return practice_service.default_period(dt.date.today())
    return Period(form.date_from.data, form.date_to.data or form.date_from.data)  # both, once valid


def _charts(quality: practice_service.PracticeQuality) -> dict[str, Markup]:
    charts = {}
    for figures in quality.measures:
        unit = "%" if figures.measure.kind == SHARE else "hours" if figures.measure.kind == MEDIAN else ""
        points = [(f"{month:%b %Y}", figure.value) for month, figure in figures.by_month]
        charts[figures.measure.id] = Markup(
            measure_svg(figures.measure.title, points, unit, f"chart-{figures.measure.id}")
        )
    return charts


def _detail(quality: practice_service.PracticeQuality) -> str:
    return f"team {quality.scope.team.id} {quality.period.start:%Y-%m-%d} to {quality.period.end:%Y-%m-%d}"


def _query(form: PracticePeriodForm, period: Period, team_id: int | None) -> dict[str, object]:
    """The page's own query string, for its CSV and PDF links."""
    args: dict[str, object] = {"team": team_id} if team_id else {}
    if form.date_from.data is not None:
        args |= {
            "date_from": period.start.strftime("%d %m %Y").split(),
            "date_to": period.end.strftime("%d %m %Y").split(),
        }
    return args


@bp.route("/practice")
@roles_required(*access.CASE_READERS)
def page() -> ResponseReturnValue:
    form = PracticePeriodForm(request.args)
    period = _period(form)
    team_id = request.args.get("team", type=int)
    if period is None:
        team, teams = access.dashboard_team(current_user, team_id)
        audit.record("practice_viewed", user=current_user, detail=f"team {team.id}: dates not valid")
        db.session.commit()
        return render_template("practice_quality/practice.html", form=form, quality=None, team=team, teams=teams)
    quality = practice_service.practice_quality(current_user, team_id, period)
    audit.record("practice_viewed", user=current_user, detail=_detail(quality))
    db.session.commit()
    return render_template(
        "practice_quality/practice.html",
        form=form,
        quality=quality,
        team=quality.scope.team,
        teams=quality.scope.teams,
        charts=_charts(quality),
        query=_query(form, period, quality.scope.team.id if quality.scope.teams else None),
    )


@bp.route("/practice/<measure_id>.csv")
@roles_required(*access.CASE_READERS)
def measure_csv(measure_id: str) -> ResponseReturnValue:
    form = PracticePeriodForm(request.args)
    period = _period(form)
    if period is None:
        return page()
    quality = practice_service.practice_quality(current_user, request.args.get("team", type=int), period, measure_id)
    audit.record("practice_exported", user=current_user, detail=f"{measure_id}: {_detail(quality)}"[:200])
    db.session.commit()
    # Streamed like the other CSVs: written a chunk at a time while the download runs.
    return Response(
        stream_with_context(csv_chunks(practice_service.csv_rows(quality))),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="heat-practice-{measure_id}.csv"'},
    )


@bp.route("/practice.pdf")
@roles_required(*access.CASE_READERS)
def pdf() -> ResponseReturnValue:
    form = PracticePeriodForm(request.args)
    period = _period(form)
    if period is None:
        return page()
    access.check_pdf_allowance(current_user)
    quality = practice_service.practice_quality(current_user, request.args.get("team", type=int), period)
    generated_at = utcnow()
    document = render_pdf(
        "reports/practice_quality.html",
        quality=quality,
        charts=_charts(quality),
        generated_by=current_user.name,
        generated_at=generated_at,
    )
    audit.record("practice_pdf", user=current_user, detail=_detail(quality))
    db.session.commit()
    return Response(
        document,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="heat-practice-{period.start:%Y%m%d}-{period.end:%Y%m%d}.pdf"'
        },
    )
