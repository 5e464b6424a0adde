"""A program as the clinician's program page reads it: every phrase from the library, never an id.

program_words(kb, document)   the phrase builders the page's template calls: the dose in words
                              (``programs.dose``), the full dose when the week holds less, the dose's
                              source as author-year, the findings an item left out for time would
                              address, dates as people write them, the mode in words, an item's
                              side (none for breathing, bracing, walking)
"""

from __future__ import annotations

from typing import Any

from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.words import citation, date_words, finding_list, join
from rebalance.programs.build import program_phases
from rebalance.programs.dose import dose_text, reduced_note
from rebalance.reports.cards import side_words

MODE_WORDS = {"full": "full program", "gentle": "gentle program", "maintenance": "maintenance program"}


def program_words(kb: KnowledgeBase, document: dict[str, Any]) -> dict[str, Any]:
    """What the program page's template calls by name (``dose_text``, ``reduced``, ``cite`` ...)."""
    return {
        "mode_words": MODE_WORDS.get(document.get("mode", "full"), "program"),
        "phases": program_phases(document),  # by the current rule, whenever the version was stored
        "dose_text": dose_text,
        "reduced": reduced_note,
        "cite": lambda source_id: citation(kb, source_id),
        "findings": lambda ids: finding_list(kb, ids, "clinician"),
        "date_words": date_words,
        "join": join,
        "side_words": lambda item: side_words(kb, item),  # "" for an exercise with no sides
    }


def edit_note(kb: KnowledgeBase, document: dict[str, Any]) -> str:
    """What the clinician changed to make this program version, by the exercises' names ("Side steps with
    a band swapped for Clamshell", "dosage of Clamshell changed"); "" for a version the library built."""
    edit = document.get("last_edit")
    if not edit:
        return ""

    def name(exercise_id: str) -> str:
        found = kb.exercise.get(exercise_id)
        return found.name if found is not None else "an exercise"

    if edit.get("change") == "swap":
        return f"{name(edit['exercise_id'])} swapped for {name(edit['new_exercise_id'])}"
    return f"dosage of {name(edit['exercise_id'])} changed"
