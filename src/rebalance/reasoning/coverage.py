"""How much of what the symptoms ask was examined (contract: the analysis document's ``coverage``).

``coverage.yaml`` lists the questions a person's symptoms raise - whether a nerve root is irritated,
whether the hip joint is the source, ... - each with the tests that answer it. A question applies
when a symptom lies in one of its regions or is made worse by one of its activities (the default
question when none does). No applicable question answered by a test done: ``none``; some:
``partial``; all: ``full``. ``missing`` names the preferred test of each question left open. A
document whose coverage is ``none`` never says that nothing was found: nothing was looked at. A test
done but not read (a squat done in pain: its compensations are pain behaviour) answers nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from rebalance.assessment.models import Case
from rebalance.knowledge.loader import KnowledgeBase
from rebalance.knowledge.models import CoverageRule
from rebalance.knowledge.precautions import may_offer
from rebalance.reasoning.findings import SQUAT, squat_read_as_pain

NOT_READ = (
    " The overhead squat was painful or done in severe pain, so it was not read; repeat it once pain has settled."
)


def applicable(kb: KnowledgeBase, case: Case, against: Collection[str] = ()) -> list[CoverageRule]:
    """The questions this person's symptoms raise (none about a pattern the findings argue against)."""
    s = case.assessment.symptoms
    regions = {loc.region for loc in s.locations}
    worse = set(s.aggravated_by)
    rules = [r for r in kb.coverage.values() if regions & set(r.regions) or worse & set(r.aggravated_by)]
    rules = rules or [r for r in kb.coverage.values() if r.default]
    return [r for r in rules if r.pattern not in against]


def _names(kb: KnowledgeBase, rules: list[CoverageRule]) -> str:
    return "; ".join(r.question for r in rules)


def coverage(
    kb: KnowledgeBase,
    case: Case,
    withheld: bool = False,
    against: Collection[str] = (),
    conditions: Collection[str] = (),
) -> dict[str, Any]:
    """The contract's coverage block: level, a message in plain words, and the tests still missing.

    ``against``: the patterns a finding argues against (``patterns.argued_against``). ``conditions``: the
    ones whose precautions hold (``patterns.precaution_conditions``); ``missing`` names the first test of
    each open question they allow (a pregnant woman's hamstrings are asked about, but not with the
    test done lying on the back), and none for a question only a ruled-out test answers.
    """
    rules = applicable(kb, case, against)
    unread = {SQUAT} if squat_read_as_pain(kb, case) else set()
    done = set(case.tests) - unread
    open_ = [r for r in rules if not done & set(r.tests)]
    level = "full" if not open_ else "none" if len(open_) == len(rules) else "partial"
    allowed = [next((t for t in r.tests if may_offer(kb, kb.test[t], conditions)), None) for r in open_]
    missing = list(dict.fromkeys(t for t in allowed if t))
    if level == "full":
        message = "Every question these symptoms raise was examined by at least one test."
    elif withheld:
        message = (
            "Some questions these symptoms raise are not examined yet. The examination waits until a "
            "doctor has seen the person."
        )
    elif level == "none":
        message = (
            "No test that bears on these symptoms has been done yet: what they come from is unknown, not "
            f"normal. Examine {_names(kb, open_)}."
        )
    else:
        message = f"Examined in part; a test not done is unknown, not normal. Still to examine: {_names(kb, open_)}."
    if unread and level != "full" and not withheld:
        message += NOT_READ
    return {"level": level, "message": message, "missing": missing}
