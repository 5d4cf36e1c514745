"""Photos of checklist items (issue 21 item 9), taken only with the family's agreement.

Every photo is made again on the server from its pixels alone: turned the right way up, shrunk to
at most 1600 px on its longer side and saved as a new JPEG with no EXIF, GPS, XMP, ICC or comment
block, whatever the tablet sent (a tablet with JavaScript also shrinks it first, which keeps the
outbox small). The JPEG kept is sealed with AES-GCM (services/sealing.py, its own key) and bound to
the photo's key, so it opens only as that photo. Photos are erased with the visit they belong to
(services/data_map.py) and every view is audited.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from heat.checklist import Definition
from heat.extensions import db
from heat.models import Assessment, AssessmentPhoto, User
from heat.services import audit, sealing

MAX_SIDE = 1600  # px, the longer side of a photo kept
MAX_BYTES = 15 * 1024 * 1024  # a photo as sent: a tablet camera's JPEG fits
MAX_SIZE_TEXT = "15 MB"
MAX_PIXELS = 60_000_000  # larger is refused before it is decoded (a 60-megapixel camera fits)
PER_ITEM = 3
PER_VISIT = 20
FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "MPO": "JPEG"}  # MPO: some cameras' JPEGs
QUALITY = 82
PURPOSE = b"heat assessment photo"
# A section save carries a photo of an item in the field photo_<item key>; a request with photos
# may be this large (several photos as sent by a camera, or as data: URLs from the outbox).
MAX_REQUEST_BYTES = 4 * MAX_BYTES

AGREEMENT_NEEDED = "The family has not agreed to photos. Record their agreement under Visit details first"
WRONG_TYPE = "The photo must be a JPEG, PNG or WebP image"
TOO_LARGE = f"The photo must be {MAX_SIZE_TEXT} or smaller"
ITEM_FULL = f"You can add up to {PER_ITEM} photos of each item"
VISIT_FULL = f"You can add up to {PER_VISIT} photos to a visit"
AGREEMENT_KEPT = "This visit has photos. Remove them from their items before you record that the family did not agree"


class PhotoRefused(ValueError):
    """A photo that cannot be kept, with the message to show on its field."""


@dataclass(frozen=True)
class Prepared:
    jpeg: bytes
    width: int
    height: int


def received(value: object) -> bytes | None:
    """A photo as posted: a file (the page without JavaScript), or a data: URL (a tablet that
    shrank it, sent as an ordinary field so it can wait in the outbox). None when none was chosen."""
    if isinstance(value, FileStorage):
        return value.stream.read(MAX_BYTES + 1) or None  # one byte over is enough to refuse it
    if isinstance(value, str) and value.strip():
        header, _, encoded = value.strip().partition(",")
        if not (header.startswith("data:") and header.endswith(";base64")):
            raise PhotoRefused(WRONG_TYPE)
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise PhotoRefused(WRONG_TYPE) from None
    return None


def prepare(data: bytes) -> Prepared:
    """The photo made again from its pixels: upright, at most MAX_SIDE px, a plain JPEG with no
    metadata. PhotoRefused for anything too large or not an image of an accepted type."""
    if len(data) > MAX_BYTES:
        raise PhotoRefused(TOO_LARGE)
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in FORMATS:
                raise PhotoRefused(WRONG_TYPE)
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused(TOO_LARGE)
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # a JPEG decodes straight to a smaller size
            upright = ImageOps.exif_transpose(image)
            picture = upright.convert("RGBA") if upright.mode in ("P", "LA", "PA") else upright
            if picture.mode == "RGBA":  # a transparent PNG on white, not black
                flat = Image.new("RGB", picture.size, "white")
                flat.paste(picture, mask=picture.getchannel("A"))
                picture = flat
            picture = picture.convert("RGB")
            picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            # Only the pixels go into a new image: no EXIF (location, camera, time), XMP or ICC.
            clean = Image.new("RGB", picture.size)
            clean.paste(picture)
            out = io.BytesIO()
            clean.save(out, "JPEG", quality=QUALITY, optimize=True)
            return Prepared(out.getvalue(), clean.width, clean.height)
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise PhotoRefused(WRONG_TYPE) from None


def refusal(assessment: Assessment, item_id: str, adding_to_item: int, adding_to_visit: int) -> str | None:
    """Why this visit may not take another photo of this item (the family's agreement, the limits
    per item and per visit, counting the photos sent with it), or None."""
    if not assessment.photos_agreed:
        return AGREEMENT_NEEDED
    counts: dict[str, int] = dict(
        db.session.execute(  # type: ignore[arg-type]
            select(AssessmentPhoto.item_id, func.count())
            .where(AssessmentPhoto.assessment_id == assessment.id)
            .group_by(AssessmentPhoto.item_id)
        ).all()
    )
    if counts.get(item_id, 0) + adding_to_item > PER_ITEM:
        return ITEM_FULL
    if sum(counts.values()) + adding_to_visit > PER_VISIT:
        return VISIT_FULL
    return None


def key_of(assessment: Assessment, item_id: str, jpeg: bytes) -> str:
    return hashlib.sha256(f"{assessment.id}\n{item_id}\n".encode() + jpeg).hexdigest()


def kept(assessment: Assessment, item_id: str, photo: Prepared) -> bool:
    """Whether this photo of this item is kept already (sent again)."""
    key = key_of(assessment, item_id, photo.jpeg)
    return db.session.scalar(select(AssessmentPhoto.id).where(AssessmentPhoto.key == key)) is not None


class Sealed(TypedDict):
    """The columns every kept photo has (an assessment's and a practice case's alike)."""

    key: str
    sealed: bytes
    width: int
    height: int
    size: int
    added_by_id: int


def sealed(purpose: bytes, key: str, photo: Prepared, user: User) -> Sealed:
    """A prepared photo's columns: its JPEG sealed for `purpose` and bound to its key."""
    return Sealed(
        key=key,
        sealed=sealing.seal(purpose, photo.jpeg, key.encode()),
        width=photo.width,
        height=photo.height,
        size=len(photo.jpeg),
        added_by_id=user.id,
    )


def add(assessment: Assessment, user: User, item_id: str, photo: Prepared) -> AssessmentPhoto:
    """Keep a photo (sealed) for an item; the same photo of the same item again is the one kept
    already. The caller has checked `refusal` and commits."""
    key = key_of(assessment, item_id, photo.jpeg)
    kept = db.session.scalar(select(AssessmentPhoto).where(AssessmentPhoto.key == key))
    if kept is not None:
        return kept
    row = AssessmentPhoto(assessment_id=assessment.id, item_id=item_id, **sealed(PURPOSE, key, photo, user))
    db.session.add(row)
    db.session.flush()
    audit.record("photo_added", user=user, assessment_id=assessment.id, detail=f"photo {row.id}: {item_id}")
    return row


def remove(assessment: Assessment, user: User, photo_id: int) -> bool:
    """Delete one of a visit's photos. The caller commits."""
    photo = db.session.scalar(
        select(AssessmentPhoto).where(AssessmentPhoto.id == photo_id, AssessmentPhoto.assessment_id == assessment.id)
    )
    if photo is None:
        return False
    db.session.delete(photo)
    audit.record("photo_removed", user=user, assessment_id=assessment.id, detail=f"photo {photo_id}: {photo.item_id}")
    return True


def of(assessment_id: int) -> dict[str, list[AssessmentPhoto]]:
    """A visit's photos by item id, in the order they were added."""
    found: dict[str, list[AssessmentPhoto]] = defaultdict(list)
    for photo in db.session.scalars(
        select(AssessmentPhoto).where(AssessmentPhoto.assessment_id == assessment_id).order_by(AssessmentPhoto.id)
    ):
        found[photo.item_id].append(photo)
    return dict(found)


def jpeg(photo: AssessmentPhoto) -> bytes:
    return sealing.unseal(PURPOSE, photo.sealed, photo.key.encode())


def data_uri(photo: AssessmentPhoto) -> str:
    """The photo inline, for a PDF (WeasyPrint fetches nothing from outside the document)."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg(photo)).decode()


@dataclass(frozen=True)
class Shown:
    src: str
    alt: str
    width: int
    height: int


def shown(
    assessment_id: int, definition: Definition, src: Callable[[AssessmentPhoto], str]
) -> list[tuple[str, list[Shown]]]:
    """A visit's photos as the assessment and review pages and the PDF show them: by checklist
    item, in the checklist's order; `src` is where each is read from (its address, or inline)."""
    kept = of(assessment_id)
    return [
        (
            item.text,
            [
                Shown(src(p), f"Photo {n} of {item.text.lower()}", p.width, p.height)
                for n, p in enumerate(kept[item.id], 1)
            ],
        )
        for item in definition.items
        if item.id in kept
    ]
