"""The print stylesheet keeps WeasyPrint's table layout fixed: an auto-layout table (or a summary
list drawn as one) has every cell measured word by word, and a child's history of 50 visits took
about 60 s to print where the target is 5 s (bench/scale.py prints the time)."""

from __future__ import annotations

import re
from pathlib import Path

PRINT_CSS = Path(__file__).resolve().parents[1] / "static" / "print" / "print.css"


def rules() -> list[tuple[str, str]]:
    text = re.sub(r"/\*.*?\*/", "", PRINT_CSS.read_text(), flags=re.S)
    return [(selector.strip(), body) for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text)]


def test_every_table_in_print_is_laid_out_fixed():
    tables = [
        selector
        for selector, body in rules()
        if re.search(r"display:\s*table\s*(;|$)", body) or re.fullmatch(r"table", selector)
    ]
    assert "table" in tables and "dl" in tables
    for selector, body in rules():
        if selector in tables:
            assert re.search(r"table-layout:\s*fixed", body), f"{selector} is laid out auto in print.css"
