"""The family's words for the checklist: each area and grade as a parent reads them, and the
scale in one sentence. Read from `family.toml`, keyed by area id and grade value."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from heat.checklist.definition import Domain

FAMILY_WORDING = Path(__file__).parent / "family.toml"


@dataclass(frozen=True)
class FamilyWording:
    scale: str
    grades: Mapping[str, str]
    areas: Mapping[str, str]

    def area(self, domain: Domain) -> str:
        """The family's name for an area; an area from a local definition folder without a line
        in family.toml keeps its own title."""
        return self.areas.get(domain.id, domain.title)


@cache
def family_wording() -> FamilyWording:
    with FAMILY_WORDING.open("rb") as fh:
        raw = tomllib.load(fh)
    return FamilyWording(raw["scale"], MappingProxyType(raw["grades"]), MappingProxyType(raw["areas"]))
