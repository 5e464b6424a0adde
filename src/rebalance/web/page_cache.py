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
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi.responses import HTMLResponse, Response

from rebalance.storage import audit
from rebalance.storage.page_state import page_state

if TYPE_CHECKING:
    from rebalance.web.patient_views import Me

MAX_PAGES = 4096
"""Pages kept at most (a few kB each)."""


@dataclass(frozen=True)
class _Page:
    body: bytes
    reads: list[dict[str, Any]]  # the audit events the page recorded when it was rendered


class PageCache:
    """Rendered pages by key, least recently used out first; safe to share between worker threads."""

    def __init__(self, max_pages: int = MAX_PAGES) -> None:
        self._pages: OrderedDict[Hashable, _Page] = OrderedDict()
        self._lock = threading.Lock()
        self.max_pages = max_pages

    def get(self, key: Hashable) -> _Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: _Page) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


def key_of(me: Me, page: str) -> Hashable:
    """What the page ``page`` of the signed-in patient is made of."""
    signed_in = me.signed_in
    return (
        page,
        signed_in.web_session.id,
        signed_in.user.display_name,
        me.day,
        signed_in.page_state or page_state(me.db, me.patient_id),  # read with the session, if it was
    )


def cached(cache: PageCache, me: Me, page: str, render: Callable[[], Response]) -> Response:
    """The page ``page`` from ``cache`` when what it is made of is unchanged; else ``render()``, kept
    when it is a plain 200 page whose reads are all still to be written."""
    key = key_of(me, page)
    found = cache.get(key)
    if found is not None:
        audit.record_again(me.db, found.reads)
        return HTMLResponse(found.body)
    before = audit.recorded(me.db)
    response = render()
    after = audit.recorded(me.db)
    plain = response.status_code == 200 and "set-cookie" not in response.headers
    if plain and after[: len(before)] == before:
        cache.put(key, _Page(bytes(response.body), after[len(before) :]))
    return response
