"""A patient's pages, kept as rendered and served again while what they are made of is unchanged.

A patient opens their today page many times a day, and it changes only when a new program version is
published, an assessment or a check-in is added, the day turns, or the session (its CSRF token) or the
user's name changes. :func:`cached` keys the page on exactly those — the record ids come from one
indexed read (``storage/page_state.py``) in the request's own unit of work — the same statement as the
sign-in lookup when that was made there (``security.load_session``) — so a change made by another
process is seen by the next request, as it would be without the cache.

The audit log is unchanged by it: a page served from the cache records the same read events, stamped
now, as the page did when it was rendered. The pages hold nothing of another patient (the key starts
with the web session) and the cache is bounded (least recently used out first).

:func:`remembered` keeps other things the same way — a value worked out from records that never change
once stored, keyed on their ids: the published program version, and whether the program stops
(``patient_views``) — so that logging a session does not read and validate them again each time. Such a
value is shared by the requests that find it: it is never changed.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi.responses import HTMLResponse, Response

from rebalance.storage import audit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from rebalance.storage.page_state import PageState
    from rebalance.web.patient_views import Me
    from rebalance.web.security import SignedIn

MAX_PAGES = 4096
"""Pages and values kept at most (a few kB each)."""

_T = TypeVar("_T")


@dataclass(frozen=True)
class _Entry:
    value: Any  # a page's body (bytes), or a remembered value
    reads: list[dict[str, Any]]  # the audit events recorded when it was made


class PageCache:
    """Rendered pages and remembered values by key, least recently used out first; safe to share
    between worker threads."""

    def __init__(self, max_pages: int = MAX_PAGES) -> None:
        self._pages: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.max_pages = max_pages

    def get(self, key: Hashable) -> _Entry | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, entry: _Entry) -> None:
        with self._lock:
            self._pages[key] = entry
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)

    def count(self, kind: str) -> int:
        """How many are kept of one kind: a page's name ("today") or a remembered value's ("program")."""
        with self._lock:
            return sum(1 for key in self._pages if isinstance(key, tuple) and key[:1] == (kind,))


def page_key(page: str, signed_in: SignedIn, day: dt.date, state: PageState) -> Hashable:
    """What the page ``page`` of a signed-in patient is made of (``page_front.py`` keys on it too)."""
    return (page, signed_in.web_session.id, signed_in.user.display_name, day, state)


def key_of(me: Me, page: str) -> Hashable:
    """What the page ``page`` of the signed-in patient is made of."""
    return page_key(page, me.signed_in, me.day, me.page_state)


def cached(cache: PageCache, me: Me, page: str, render: Callable[[], Response]) -> Response:
    """The page ``page`` from ``cache`` when what it is made of is unchanged; else ``render()``, kept
    when it is a plain 200 page whose reads are all still to be written."""
    rendered: list[Response] = []

    def body() -> bytes:
        rendered.append(render())
        return bytes(rendered[0].body)

    def plain(_: bytes) -> bool:
        return rendered[0].status_code == 200 and "set-cookie" not in rendered[0].headers

    found = remembered(cache, me.db, key_of(me, page), body, keep=plain)
    return rendered[0] if rendered else HTMLResponse(found)


def remembered(
    cache: PageCache, db: Session, key: Hashable, make: Callable[[], _T], keep: Callable[[_T], bool] | None = None
) -> _T:
    """The value kept in ``cache`` under ``key``, its audit events recorded in ``db`` once more; else
    ``make()``, kept when ``keep`` says so (default: always) and every event it recorded is still to be
    written (none went into the log already, where a replay would miss it)."""
    found = cache.get(key)
    if found is not None:
        audit.record_again(db, found.reads)
        value: _T = found.value
        return value
    before = audit.recorded(db)
    value = make()
    after = audit.recorded(db)
    if (keep is None or keep(value)) and after[: len(before)] == before:
        cache.put(key, _Entry(value, after[len(before) :]))
    return value
