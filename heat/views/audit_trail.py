"""The audit trail, searched and exported by auditors."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from forms.oversight import AuditSearchForm
from heat.extensions import db
from heat.reports.csv_export import csv_bytes
from heat.services import audit, audit_search, paging
from heat.views import roles_required

bp = Blueprint("audit_trail", __name__, url_prefix="/audit")
PAGE_SIZE = 100


def _search(form: AuditSearchForm):
    return audit_search.search_query(
        user_email=form.user.data or None,
        child_reference=form.child.data or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )


@bp.route("")
@roles_required("auditor")
def search():
    form = AuditSearchForm(request.args)
    pager = None
    if form.validate():
        pager = paging.paginate(_search(form), request.args.get("page", type=int), PAGE_SIZE, rows=True)
    audit.record("audit_searched", user=current_user)
    db.session.commit()
    return render_template("audit/search.html", form=form, pager=pager)


@bp.route("/export.csv")
@roles_required("auditor")
def export_csv():
    form = AuditSearchForm(request.args)
    if not form.validate():
        return search()
    rows = db.session.execute(_search(form)).all()
    audit.record("audit_exported", user=current_user, detail=f"{len(rows)} rows")
    db.session.commit()
    body = csv_bytes(
        [["when_utc", "user", "action", "child_identifier", "assessment_id", "target_user_id", "address", "detail"]]
        + [
            [
                e.at.isoformat(),
                email or e.email_tried or "",
                e.action,
                reference or "",
                e.assessment_id or "",
                e.target_user_id or "",
                e.address or "",
                e.detail or "",
            ]
            for e, email, reference in rows
        ]
    )
    return Response(
        body, mimetype="text/csv", headers={"Content-Disposition": 'attachment; filename="heat-audit-trail.csv"'}
    )
