"""The one error a use case raises for bad input a person can fix: it names the form field the
message belongs to, so the view can show it beside that field and in the error summary."""

from __future__ import annotations


class FieldError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
