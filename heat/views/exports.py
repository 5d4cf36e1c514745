"""Auditor exports: request one, watch its progress, try a failed or stopped one again, download the ZIP."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user

from forms.oversight import ExportForm, RetryExportForm
from heat import tasks
from heat.extensions import db
from heat.services import access, accounts, audit
from heat.services import exports as export_service
from heat.views import audited, carried_out, roles_required

bp = Blueprint("exports", __name__, url_prefix="/exports")


def _start(export_id: int, started: str) -> None:
    if tasks.start_export(export_id):
        flash(started, "success")
    else:
        flash(
            "The export could not start because the export queue is not available at the moment. "
            "Nothing is waiting: select ‘Try again’ in a few minutes."
        )


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
        _start(export.id, "Export started. It will be ready to download here shortly.")
        return redirect(url_for("exports.exports"))
    mine = [(e, export_service.state(e)) for e in export_service.exports_of(current_user)]
    return render_template(
        "exports/exports.html",
        form=form,
        exports=mine,
        states=export_service.STATES,
        retryable=export_service.RETRYABLE,
        queue_unavailable=export_service.QUEUE_UNAVAILABLE,
        stall_minutes=export_service.stall_minutes(),
        busy=any(state in ("queued", "running") for _, state in mine),
    )


@bp.route("/<int:export_id>/retry", methods=["POST"])
@roles_required("auditor")
def retry(export_id: int):
    """ "Try again" on a failed or stopped export."""
    export = access.export_for(current_user, export_id)
    form = RetryExportForm()
    if form.validate_on_submit() and carried_out(form, lambda: export_service.retry(current_user, export)):
        _start(export.id, "Export started again. It will be ready to download here shortly.")
    for message in form.retry.errors:
        flash(message)
    return redirect(url_for("exports.exports"))


@bp.route("/<int:export_id>/download")
@roles_required("auditor")
def download(export_id: int):
    export = access.export_for(current_user, export_id)
    path = export_service.export_path(export)
    if export.status != "done" or not path.is_file():  # a file gone (an erasure, or by hand) is a 404, not a 500
        abort(404)
    audit.record("export_downloaded", user=current_user, detail=f"export {export.id}")
    db.session.commit()
    return send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"heat-export-{export.id}.zip",
    )
