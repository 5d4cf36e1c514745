"""The HEAT checklist: versioned definitions, scoring and ratings.

Plain values in, plain values out. This package imports neither Flask nor SQLAlchemy.
"""

from heat.checklist.definition import (
    Definition,
    DefinitionError,
    Domain,
    Grade,
    Item,
    Room,
    Rule,
    load_definition,
    load_definitions,
)
from heat.checklist.scoring import DomainProfile, Reason, Score, score

__all__ = [
    "Definition",
    "DefinitionError",
    "Domain",
    "DomainProfile",
    "Grade",
    "Item",
    "Reason",
    "Room",
    "Rule",
    "Score",
    "load_definition",
    "load_definitions",
    "score",
]
