"""Published checklist versions never change: each file's SHA-256 is held here, and visits
scored with an earlier version score byte for byte as they did when the next version came out."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from heat.checklist.definition import BUILTIN_DIR, load_definitions
from heat.checklist.scoring import score
from tests.score_cases import answer_sets

HERE = Path(__file__).parent
# Every published definition file and its SHA-256. A new version adds a line; none ever changes.
PUBLISHED = {
    "heat-2026.1.toml": "e527675fbead68f8f80f9a914d91fcbf25acf028e8ecc152f5e28926fc1d9c77",
    "heat-2026.2.toml": "7b397abcf4a2d68fb80632f3d7444961531cfada9679f9f6e1a595d11109c260",
    "heat-2026.3.toml": "b102b7277133d463ad864f00c68d9e9d1304fa1300f828d81411d93782e5548a",
    "heat-2026.4.toml": "9e057a58876d821f5cc188b5469cdaf4f2dbde17167bae299c16ced1abcbeac1",
}
# Scores of 300 invented visits per earlier version, made by the code before 2026.4 was added.
BEFORE = json.loads((HERE / "data" / "scores-before-2026.4.json").read_text())


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_a_published_definition_file_never_changes(name):
    digest = hashlib.sha256((BUILTIN_DIR / name).read_bytes()).hexdigest()
    assert digest == PUBLISHED[name], (
        f"{name} has changed since it was published. Visits recorded with it are scored and printed "
        "with this file, so it must never change: put it back, and publish the change as a new "
        "version (a new heat-<version>.toml, with its hash added here)."
    )


def test_every_definition_file_is_published_here():
    """A new version is published by adding its file's hash above; nothing is left unfrozen."""
    assert sorted(p.name for p in BUILTIN_DIR.glob("*.toml")) == sorted(PUBLISHED)


@pytest.mark.parametrize("version", sorted(BEFORE))
def test_earlier_versions_score_byte_for_byte_as_before(version):
    definition = load_definitions()[version]
    expected = BEFORE[version]
    for n, (grades, rooms, sources, answers) in enumerate(answer_sets(definition, len(expected), version)):
        now = json.dumps(
            dataclasses.asdict(score(definition, grades, rooms, sources, answers)),
            sort_keys=True,
            separators=(",", ":"),
        )
        assert [json.loads(now)["rating"], hashlib.sha256(now.encode()).hexdigest()] == expected[n], (version, n)
