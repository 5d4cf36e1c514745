"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json (checked in a test)."""

from __future__ import annotations

from typing import Any

from heat.checklist.vocabulary import HOME_KINDS, PLAN_STATUSES

_DATE = {"type": ["string", "null"], "format": "date"}
_TEXT = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": _ref("Problem")}}}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_ERRORS = {
    "401": _problem("No valid bearer token"),
    "404": _problem("No such record, or not in the token user's scope"),
    "429": _problem("Too many requests for this token; see Retry-After"),
}

_ADDRESS_FIELDS: dict[str, Any] = {
    "line_1": {"type": "string"},
    "line_2": _TEXT,
    "town": _TEXT,
    "postcode": _TEXT,
    "area": {"type": ["string", "null"], "description": "Local authority area"},
    "kind": {"type": "string", "enum": list(HOME_KINDS)},
}
_ADDRESS: dict[str, Any] = {"type": "object", "required": ["line_1"], "properties": _ADDRESS_FIELDS}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "HEAT API",
        "version": "1.0.0",
        "description": (
            "Children and their home environment assessments. A token (`flask api-tokens create`) acts as "
            "its user, with that user's role and team scope. Every call is audited."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/children": {
            "get": {
                "operationId": "listChildren",
                "summary": "The children the token's user may see, by name, 50 a page",
                "parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "case_reference", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {"200": _json("A page of children", _ref("ChildPage")), **_ERRORS},
            },
            "post": {
                "operationId": "addChild",
                "summary": "Add a child (supervisors and administrators), checked as the Add a child form",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewChild")}}},
                "responses": {
                    "201": _json("Added", _ref("Child")),
                    "400": _problem("Not a JSON object"),
                    "403": _problem("The token's user may not add children"),
                    "409": _problem("Possible duplicate: same last name and date of birth"),
                    "422": _problem("The details have problems (see errors)"),
                    **_ERRORS,
                },
            },
        },
        "/children/{id}": {
            "get": {
                "operationId": "getChild",
                "parameters": [_ID],
                "responses": {"200": _json("The child", _ref("Child")), **_ERRORS},
            }
        },
        "/children/{id}/assessments": {
            "get": {
                "operationId": "listChildAssessments",
                "parameters": [_ID],
                "responses": {
                    "200": _json(
                        "The child's assessments, newest first",
                        {
                            "type": "object",
                            "properties": {"items": {"type": "array", "items": _ref("AssessmentSummary")}},
                        },
                    ),
                    **_ERRORS,
                },
            }
        },
        "/assessments/{id}": {
            "get": {
                "operationId": "getAssessment",
                "parameters": [_ID],
                "responses": {"200": _json("The assessment", _ref("Assessment")), **_ERRORS},
            }
        },
        "/assessments/{id}/pdf": {
            "get": {
                "operationId": "getAssessmentPdf",
                "parameters": [_ID],
                "responses": {
                    "200": {
                        "description": "The PDF stored with the latest version",
                        "content": {
                            "application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}}
                        },
                    },
                    "202": _problem("The PDF is being prepared; ask again after Retry-After seconds"),
                    **_ERRORS,
                },
            }
        },
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Problem": {
                "type": "object",
                "description": "RFC 9457 problem details",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"field": {"type": "string"}, "detail": {"type": "string"}},
                        },
                    },
                    "possible_duplicates": {
                        "type": "array",
                        "items": {"type": "integer"},
                        "description": "Ids of the possible duplicates the token's user may see",
                    },
                    "other_possible_duplicates": {
                        "type": "integer",
                        "description": "How many possible duplicates the token's user may not see (never named)",
                    },
                },
            },
            "Address": _ADDRESS,
            "NewChild": {
                "type": "object",
                "required": ["case_reference", "last_name"],
                "properties": {
                    "case_reference": {"type": "string", "maxLength": 30},
                    "first_name": {"type": "string", "description": "Optional before birth"},
                    "last_name": {"type": "string"},
                    "date_of_birth": _DATE,
                    "expected_date_of_birth": _DATE,
                    "team_id": {"type": "integer", "description": "Administrators only; a supervisor's own team"},
                    "allocated_worker_id": {"type": ["integer", "null"]},
                    "plan": {"type": "string", "enum": list(PLAN_STATUSES)},
                    "address": _ADDRESS,
                    "lives_with": {"type": "string", "description": "Case reference of a sibling they live with"},
                    "confirm_possible_duplicate": {"type": "boolean"},
                },
            },
            "Child": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "case_reference": {"type": "string"},
                    "first_name": _TEXT,
                    "last_name": {"type": "string"},
                    "date_of_birth": _DATE,
                    "expected_date_of_birth": _DATE,
                    "team": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
                    "allocated_worker": {
                        "type": ["object", "null"],
                        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                    },
                    "household_id": {"type": ["integer", "null"]},
                    "plan": {"type": "string", "enum": list(PLAN_STATUSES)},
                    "latest_rating": _TEXT,
                    "last_visit_date": _DATE,
                    "next_visit_due": _DATE,
                    "active_flags": {"type": "array", "items": {"type": "string"}},
                    "address": {
                        "oneOf": [
                            {"type": "null"},
                            {
                                **_ADDRESS,
                                "properties": {
                                    **_ADDRESS_FIELDS,
                                    "from_date": {"type": "string", "format": "date"},
                                },
                            },
                        ]
                    },
                    "assessments_url": {"type": "string"},
                },
            },
            "ChildPage": {
                "type": "object",
                "properties": {
                    "items": {"type": "array", "items": _ref("Child")},
                    "page": {"type": "integer"},
                    "pages": {"type": "integer"},
                    "total": {"type": "integer"},
                    "next": _TEXT,
                },
            },
            "AssessmentSummary": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "status": {"type": "string"},
                    "checklist_version": {"type": "string"},
                    "visit_date": _DATE,
                    "rating": _TEXT,
                    "url": {"type": "string"},
                },
            },
            "Assessment": {
                "allOf": [
                    _ref("AssessmentSummary"),
                    {
                        "type": "object",
                        "properties": {
                            "children": {"type": "array", "items": {"type": "integer"}},
                            "mean_grade": {"type": ["number", "null"]},
                            "reasons": {"type": "array", "items": {"type": "object"}},
                            "grades": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "item_id": {"type": "string"},
                                        "grade": {"type": "string"},
                                        "evidence_source": _TEXT,
                                        "evidence": _TEXT,
                                    },
                                },
                            },
                            "rooms": {"type": "array", "items": {"type": "object"}},
                            "decisions": {"type": "array", "items": {"type": "object"}},
                            "pdf_url": _TEXT,
                        },
                    },
                ]
            },
        },
    },
}
