"""Words as clinicians write them -> the knowledge base's ids.

A vocabulary record (an equipment, an activity, a region, a sport, a condition, a red flag, a
test, a compensation, a muscle) is found by its id, its name or any of its ``aliases``, written
in any case, with spaces, hyphens or underscores ("Swiss ball", "swiss-ball", "swiss_ball"); a
one-word entry also in the singular or plural ("dumbbells", "hamstring"). The assessment parser
stores the canonical id; anything else is refused with "did you mean", which searches the same
ids, names and aliases and answers with ids. ``kb check`` refuses an alias that would name two
records or shadow another record's id (:func:`clashes`).
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterator

from rebalance.knowledge.loader import KnowledgeBase

# The kinds whose ids an assessment file names, and what a problem calls one of them.
VOCABULARIES = {
    "equipment": "equipment",
    "activities": "activity",
    "regions": "region",
    "sports": "sport",
    "conditions": "condition",
    "red_flags": "red flag",
    "tests": "test",
    "compensations": "compensation",
    "muscles": "muscle",
}


def key(word: str) -> str:
    """The form words are compared in: lower case, plain letters, words joined by '_'."""
    plain = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.casefold()).strip("_")


def _number_forms(k: str) -> list[str]:
    """The key and, for one word, its singular and plural forms ('balls' -> 'ball', 'hamstring' -> 'hamstrings')."""
    if "_" in k or len(k) < 3:
        return [k]
    forms = [k, f"{k}s"]
    if k.endswith("ies"):
        forms.append(f"{k[:-3]}y")
    if k.endswith("es"):
        forms.append(k[:-2])
    if k.endswith("s"):
        forms.append(k[:-1])
    return forms


def spellings(kb: KnowledgeBase, kind: str) -> Iterator[tuple[str, str, str]]:
    """(record id, where, key) for each way a record of ``kind`` may be written."""
    for rid, record in kb.records[kind].items():
        yield rid, "id", key(rid)
        name = getattr(record, "name", None)
        if name:
            yield rid, "name", key(name)
        for i, alias in enumerate(getattr(record, "aliases", ())):
            yield rid, f"aliases[{i}]", key(alias)


@functools.cache
def index(kb: KnowledgeBase, kind: str) -> dict[str, str]:
    """Key -> record id; an id always wins over another record's name or alias (clashes are check's)."""
    out: dict[str, str] = {}
    for rid, where, k in spellings(kb, kind):
        if where == "id":
            out[k] = rid
        else:
            out.setdefault(k, rid)
    return out


def resolve(kb: KnowledgeBase, kind: str, word: str) -> str | None:
    """The id ``word`` names in vocabulary ``kind``, or None."""
    if word in kb.records[kind]:
        return word
    found = index(kb, kind)
    return next((found[f] for f in _number_forms(key(word)) if f in found), None)


def did_you_mean(kb: KnowledgeBase, kind: str, word: str, among: set[str] | None = None, n: int = 3) -> list[str]:
    """Ids whose id, name or alias is close to ``word`` (limited to ``among`` when given)."""
    found = {k: rid for k, rid in index(kb, kind).items() if among is None or rid in among}
    close = difflib.get_close_matches(key(word), sorted(found), n=3 * n, cutoff=0.6)
    return list(dict.fromkeys(found[k] for k in close))[:n]


def hint(kb: KnowledgeBase, kind: str, word: str, among: set[str] | None = None) -> str:
    """' (did you mean a, b?)' or ''."""
    ids = did_you_mean(kb, kind, word, among)
    return f" (did you mean {', '.join(ids)}?)" if ids else ""


def clashes(kb: KnowledgeBase, kind: str) -> Iterator[tuple[str, str, str]]:
    """(record id, where, why) for each name or alias that another record's id, name or alias also claims."""
    owners: dict[str, dict[str, str]] = {}
    for rid, where, k in spellings(kb, kind):
        owners.setdefault(k, {}).setdefault(rid, where)
    for k, claim in owners.items():
        if len(claim) < 2:
            continue
        id_owner = next((rid for rid, where in claim.items() if where == "id"), None)
        for rid, where in claim.items():
            if where == "id":
                continue
            if id_owner is not None:
                yield rid, where, f"'{k}' shadows the id of {id_owner}"
            elif where.startswith("aliases"):
                others = ", ".join(sorted(r for r in claim if r != rid))
                yield rid, where, f"'{k}' also names {others}: an alias must name one record"
