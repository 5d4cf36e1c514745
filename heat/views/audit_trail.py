"""The audit trail, searched and exported by auditors."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user

from forms.oversight import AuditSearchForm
from heat.extensions import db
from heat.reports.csv_export import csv_chunks
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
    query, total = audit_search.as_it_stands(_search(form))
    audit.record("audit_exported", user=current_user, detail=f"{total} rows")
    db.session.commit()
    # Streamed: the rows are read and written a batch at a time while the download runs.
    return Response(
        stream_with_context(csv_chunks(audit_search.csv_rows(query))),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="heat-audit-trail.csv"'},
    )
