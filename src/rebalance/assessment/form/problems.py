"""Each problem of a submitted form next to the input it is about (or its group)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rebalance.assessment.form.document import Submitted
from rebalance.assessment.form.model import GENERAL, AssessmentForm
from rebalance.errors import Problem

# --- problems → inputs --------------------------------------------------------------------------------------

_PARENT = re.compile(r"(\.[^.\[\]]+|\[\d+\])$")


def _renamed(path: str, renames: Mapping[str, str]) -> str:
    for doc_path in sorted(renames, key=len, reverse=True):
        if path == doc_path or path.startswith((f"{doc_path}.", f"{doc_path}[")):
            return renames[doc_path] + path[len(doc_path) :]
    return path


def slot_for(path: str, slots: set[str], renames: Mapping[str, str]) -> str:
    """The input (or the nearest group) a document path's problem is shown at."""
    current = _renamed(path, renames)
    if current.startswith(("client.conditions[", "client.equipment[", "client.sports[", "red_flags[")):
        current = current.split("[")[0]
    if re.match(r"^symptoms\.(aggravated_by|eased_by)\[", current):
        current = current.split("[")[0]
    while current:
        if current in slots:
            return current
        parent = _PARENT.sub("", current)
        if parent == current:
            break
        current = parent
    return GENERAL


def place(problems: Iterable[Problem], form: AssessmentForm, submitted: Submitted) -> dict[str, list[str]]:
    """Every problem at its input's slot (a path with no input of its own goes to its group, or the top)."""
    slots = set(form.slots)
    placed: dict[str, list[str]] = {}
    for problem in problems:
        slot = slot_for(problem.path, slots, submitted.renames)
        message = problem.message
        if problem.path.startswith("questionnaires.start_back[") and message.endswith("got None"):
            message = "not answered: answer all nine items, or none"
        shown_at = _renamed(problem.path, submitted.renames)
        text = message if slot in (shown_at, problem.path) or not problem.path else f"{problem.path}: {message}"
        placed.setdefault(slot, []).append(text)
    order = {slot: i for i, slot in enumerate(form.slots)}
    return dict(sorted(placed.items(), key=lambda pair: order.get(pair[0], -1)))
