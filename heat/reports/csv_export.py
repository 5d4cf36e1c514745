"""CSV files for audits, safe to open in a spreadsheet, made a chunk at a time so a download of
any size streams in constant memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

ROWS_PER_CHUNK = 1000
BOM = "\ufeff"  # so spreadsheet programs read the file as UTF-8


def safe_cell(value) -> str:
    """Text that a spreadsheet would run as a formula is kept as text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_chunks(rows: Iterable[Sequence]) -> Iterator[bytes]:
    """The CSV of `rows` (the header first), ROWS_PER_CHUNK rows to a chunk: a response body that
    streams, holding one chunk at a time whatever the number of rows."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    for n, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(v) for v in row])
        if n % ROWS_PER_CHUNK == 0:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


def csv_bytes(rows: Iterable[Sequence]) -> bytes:
    """The whole CSV at once, for a file inside an export's ZIP."""
    return b"".join(csv_chunks(rows))
