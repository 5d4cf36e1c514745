"""One pagination for every list: Flask-SQLAlchemy's `SelectPagination`, with a page past the end
showing the last page (a stale link or bookmark never shows an empty list)."""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy import Select

from heat.extensions import db

PAGE_SIZE = 50
# Far beyond any real list, and small enough that the offset fits every database's integers.
MAX_PAGE = 1_000_000


class RowPagination(SelectPagination):
    """For selects of several columns: the items are whole rows, not only the first column."""

    def _query_items(self) -> list[Any]:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select).all())


def paginate(query: Select[Any], page: int | None, per_page: int = PAGE_SIZE, *, rows: bool = False) -> Pagination:
    kind = RowPagination if rows else SelectPagination

    def page_of(number: int) -> Pagination:
        return kind(
            select=query, session=db.session(), page=number, per_page=per_page, max_per_page=None, error_out=False
        )

    pager = page_of(min(max(1, page or 1), MAX_PAGE))
    if pager.page > 1 and pager.page > pager.pages:
        pager = page_of(max(1, pager.pages))
    return pager
