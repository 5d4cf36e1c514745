"""Auditor exports: request one, watch its progress, download the ZIP."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user

from forms.oversight import ExportForm
from heat.extensions import db
from heat.services import access, accounts, audit
from heat.services import exports as export_service
from heat.tasks import build_export
from heat.views import audited, carried_out, roles_required

bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.route("", methods=["GET", "POST"])
@roles_required("auditor")
@audited("exports_viewed")
def exports():
    form = ExportForm()
    form.teams.choices = [(str(t.id), t.name) for t in accounts.all_teams()]
    if form.validate_on_submit() and (
        export := carried_out(
            form,
            lambda: export_service.create(
                current_user, [int(t) for t in form.teams.data], form.date_from.data, form.date_to.data
            ),
        )
    ):
        build_export(export.id)
        flash("Export started. It will be ready to download here shortly.", "success")
        return redirect(url_for("exports.exports"))
    mine = export_service.exports_of(current_user)
    return render_template(
        "exports/exports.html", form=form, exports=mine, busy=any(e.status in ("queued", "running") for e in mine)
    )


@bp.route("/<int:export_id>/download")
@roles_required("auditor")
def download(export_id: int):
    export = access.export_for(current_user, export_id)
    if export.status != "done":
        abort(404)
    audit.record("export_downloaded", user=current_user, detail=f"export {export.id}")
    db.session.commit()
    return send_file(
        export_service.export_path(export),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"heat-export-{export.id}.zip",
    )
