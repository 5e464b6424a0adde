"""Cross-reference checks over a read knowledge base.

Each ``_check_*`` function looks at one rule and yields a :class:`Problem` per breach, naming
the file and the record path. :func:`check_references` runs them all; :func:`check` reads a
data folder and runs them, for ``rebalance kb check``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import BaseModel

from rebalance.errors import Problem
from rebalance.knowledge import models as m
from rebalance.knowledge import vocabulary
from rebalance.knowledge.loader import DATA_DIR, KnowledgeBase, read_knowledge
from rebalance.knowledge.queries import addressing_index, finding_id_error, suggest

# Lifestyle triggers read these assessment fields (lifestyle section, then client section).
LIFESTYLE_FIELDS = frozenset(
    {
        "sitting_hours_per_day",
        "sits_with_feet_turned_out",
        "sits_on_back_pocket_wallet",
        "stands_on_one_leg",
        "carries_bag_on",
        "lifting",
        "exercise_sessions_per_week",
        "one_sided_sport",
        "sleep_position",
        "mattress",
        "stress_level",
        "sports",
        "activity_level",
        "age",
    }
)
# Tests read through the compensation table or ratios rather than norms of their own.
NORM_EXEMPT_TYPES = frozenset({"compensations"})


class _Ref:
    """Report helper: a problem at ``kind``'s record ``rid``, at a sub-path."""

    def __init__(self, kb: KnowledgeBase, kind: str, rid: str) -> None:
        o = kb.origins.get((kind, rid))
        self.file = o.file if o else kind
        self.prefix = f"[{o.index}] {rid}" if o else rid

    def problem(self, path: str, message: str) -> Problem:
        return Problem(self.file, f"{self.prefix}.{path}" if path else self.prefix, message)


def _unknown(kind_name: str, wrong: str, valid: Iterable[str]) -> str:
    hints = suggest(set(valid), wrong)
    hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
    return f"unknown {kind_name} '{wrong}'{hint}"


def _ids(
    kb: KnowledgeBase,
    kind: str,
    rid: str,
    path: str,
    values: Iterable[str],
    target_kind: str | tuple[str, ...],
    label: str,
) -> Iterator[Problem]:
    kinds = (target_kind,) if isinstance(target_kind, str) else target_kind
    valid = set().union(*(kb.records[k] for k in kinds))
    for i, value in enumerate(values):
        if value not in valid:
            yield _Ref(kb, kind, rid).problem(f"{path}[{i}]", _unknown(label, value, valid))


def _check_sources(kb: KnowledgeBase) -> Iterator[Problem]:
    """Every source id named anywhere exists; every clinical number names a source."""
    for kind, records in kb.records.items():
        for rid, record in records.items():
            yield from _walk_sources(kb, kind, rid, record, "")


def _walk_sources(kb: KnowledgeBase, kind: str, rid: str, obj: object, path: str) -> Iterator[Problem]:
    if isinstance(obj, BaseModel):
        if isinstance(obj, m.Sourced):
            if obj.source is None:
                yield _Ref(kb, kind, rid).problem(path.lstrip("."), "clinical number without a source (add 'source:')")
            elif obj.source not in kb.sources:
                yield _Ref(kb, kind, rid).problem(
                    f"{path}.source".lstrip("."), _unknown("source", obj.source, kb.sources)
                )
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            if name == "sources" and isinstance(value, list):
                for i, sid in enumerate(value):
                    if sid not in kb.sources:
                        yield _Ref(kb, kind, rid).problem(
                            f"{path}.sources[{i}]".lstrip("."), _unknown("source", sid, kb.sources)
                        )
            else:
                yield from _walk_sources(kb, kind, rid, value, f"{path}.{name}")
    elif isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            yield from _walk_sources(kb, kind, rid, item, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for key, item in obj.items():
            yield from _walk_sources(kb, kind, rid, item, f"{path}.{key}")


def _check_muscles(kb: KnowledgeBase) -> Iterator[Problem]:
    for mu in kb.muscle.values():
        yield from _ids(kb, "muscles", mu.id, "groups", mu.groups, "muscle_groups", "muscle group")
        yield from _ids(kb, "muscles", mu.id, "antagonists", mu.antagonists, "muscles", "muscle")
        yield from _ids(kb, "muscles", mu.id, "synergists", mu.synergists, "muscles", "muscle")
        if mu.part_of is not None:
            if mu.part_of not in kb.muscle:
                yield _Ref(kb, "muscles", mu.id).problem("part_of", _unknown("muscle", mu.part_of, kb.muscle))
            elif kb.muscle[mu.part_of].part_of is not None:
                yield _Ref(kb, "muscles", mu.id).problem("part_of", "part_of must name a top-level unit")
    for st in kb.structures.values():
        yield from _ids(kb, "structures", st.id, "related_muscles", st.related_muscles, "muscles", "muscle")


def _finding(kb: KnowledgeBase, kind: str, rid: str, path: str, fid: str) -> Iterator[Problem]:
    error = finding_id_error(kb, fid)
    if error:
        yield _Ref(kb, kind, rid).problem(path, error)


def _check_tests(kb: KnowledgeBase) -> Iterator[Problem]:
    in_ratios = {op.test for r in kb.ratios.values() for op in (r.numerator, r.denominator)}
    for t in kb.test.values():
        ref = _Ref(kb, "tests", t.id)
        names = [f.name for f in t.fields]
        yield from _ids(kb, "tests", t.id, "targets", t.targets, ("muscles", "structures"), "muscle or structure")
        yield from _ids(kb, "tests", t.id, "positive_implicates", t.positive_implicates, "patterns", "pattern")
        yield from _ids(kb, "tests", t.id, "positions", t.positions, "positions", "position")
        for i, norm in enumerate(t.norms):
            for j, cond in enumerate(norm.when):
                if cond.field not in names:
                    yield ref.problem(f"norms[{i}].when[{j}].field", _unknown("field", cond.field, names))
            target = norm.finding.target
            if not (t.layout == "per_muscle" and target == "self"):
                yield from _finding(kb, "tests", t.id, f"norms[{i}].finding", f"{norm.finding.kind}:{target}")
        if t.symmetry and t.symmetry.field not in names:
            yield ref.problem("symmetry.field", _unknown("field", t.symmetry.field, names))
        exempt = any(f.type in NORM_EXEMPT_TYPES for f in t.fields) or t.id in in_ratios
        if not (t.norms or t.symmetry or exempt):
            yield ref.problem("norms", "test has no norm, no symmetry and takes part in no ratio")


def _check_compensations_and_ratios(kb: KnowledgeBase) -> Iterator[Problem]:
    for c in kb.compensations.values():
        for name in ("overactive", "underactive", "overactive_opposite_side", "underactive_opposite_side"):
            yield from _ids(kb, "compensations", c.id, name, getattr(c, name), "muscles", "muscle")
    for r in kb.ratios.values():
        for name in ("numerator", "denominator"):
            op: m.RatioOperand = getattr(r, name)
            test = kb.test.get(op.test)
            if test is None:
                yield _Ref(kb, "ratios", r.id).problem(f"{name}.test", _unknown("test", op.test, kb.test))
            elif op.field not in {f.name for f in test.fields}:
                yield _Ref(kb, "ratios", r.id).problem(f"{name}.field", f"test '{op.test}' has no field '{op.field}'")
            if op.muscle is not None and op.muscle not in kb.muscle:
                yield _Ref(kb, "ratios", r.id).problem(f"{name}.muscle", _unknown("muscle", op.muscle, kb.muscle))


def _check_patterns(kb: KnowledgeBase) -> Iterator[Problem]:
    addressed = addressing_index(kb)
    for p in kb.pattern.values():
        signs = {s.finding for s in p.signs}
        for i, sign in enumerate(p.signs):
            before = sign.finding
            problems = list(_finding(kb, "patterns", p.id, f"signs[{i}].finding", before))
            yield from problems
            if not problems and before not in addressed:
                yield _Ref(kb, "patterns", p.id).problem(
                    f"signs[{i}].finding", f"no exercise addresses supporting finding '{before}'"
                )
        for i, group in enumerate(p.required):
            for j, fid in enumerate(group):
                if fid not in signs:
                    yield _Ref(kb, "patterns", p.id).problem(
                        f"required[{i}][{j}]", f"'{fid}' is not one of the pattern's signs"
                    )
        for i, sym in enumerate(p.symptoms):
            if sym.region and sym.region not in kb.regions:
                yield _Ref(kb, "patterns", p.id).problem(
                    f"symptoms[{i}].region", _unknown("region", sym.region, kb.regions)
                )
            if sym.aggravated_by and sym.aggravated_by not in kb.activities:
                yield _Ref(kb, "patterns", p.id).problem(
                    f"symptoms[{i}].aggravated_by", _unknown("activity", sym.aggravated_by, kb.activities)
                )
        for i, sug in enumerate(p.suggested_tests):
            if sug.test not in kb.test:
                yield _Ref(kb, "patterns", p.id).problem(
                    f"suggested_tests[{i}].test", _unknown("test", sug.test, kb.test)
                )
            yield from _ids(
                kb, "patterns", p.id, f"suggested_tests[{i}].when_regions", sug.when_regions, "regions", "region"
            )
            yield from _ids(
                kb,
                "patterns",
                p.id,
                f"suggested_tests[{i}].when_aggravated_by",
                sug.when_aggravated_by,
                "activities",
                "activity",
            )


def _check_measure(kb: KnowledgeBase, rid: str, path: str, measure: m.Measure) -> Iterator[Problem]:
    ref = _Ref(kb, "patterns", rid)
    test = kb.test.get(measure.test)
    if test is None:
        yield ref.problem(f"{path}.test", _unknown("test", measure.test, kb.test))
        return
    fields = {f.name: f for f in test.fields}
    field = fields.get(measure.field)
    if field is None:
        yield ref.problem(f"{path}.field", _unknown("field", measure.field, fields))
    elif field.type == "enum" and measure.value not in field.values:
        yield ref.problem(f"{path}.value", f"'{measure.value}' is not one of {', '.join(field.values)}")
    elif (field.type == "boolean") != isinstance(measure.value, bool):
        yield ref.problem(f"{path}.value", f"'{measure.value}' does not fit the {field.type} field '{field.name}'")


def _check_screen_items(kb: KnowledgeBase, p: m.Pattern, screen: m.Screen) -> Iterator[Problem]:
    for i, item in enumerate(screen.items):
        at = f"screen.items[{i}]"
        yield from _ids(kb, "patterns", p.id, f"{at}.regions", item.regions, "regions", "region")
        yield from _ids(kb, "patterns", p.id, f"{at}.aggravated_by", item.aggravated_by, "activities", "activity")
        yield from _ids(kb, "patterns", p.id, f"{at}.eased_by", item.eased_by, "activities", "activity")
        yield from _ids(kb, "patterns", p.id, f"{at}.conditions", item.conditions, "conditions", "condition")
        for j, fid in enumerate(item.findings):
            yield from _finding(kb, "patterns", p.id, f"{at}.findings[{j}]", fid)
        if item.measure is not None:
            yield from _check_measure(kb, p.id, f"{at}.measure", item.measure)


def _check_screens(kb: KnowledgeBase) -> Iterator[Problem]:
    """A screen's items, groups, implied conditions, favoured exercises and rereadings name real records."""
    for p in kb.pattern.values():
        screen = p.screen
        if screen is None:
            continue
        ref = _Ref(kb, "patterns", p.id)
        yield from _check_screen_items(kb, p, screen)
        items = {item.id for item in screen.items}
        for i, group in enumerate(screen.required):
            for j, iid in enumerate(group):
                if iid not in items:
                    yield ref.problem(f"screen.required[{i}][{j}]", _unknown("screen item", iid, items))
        for i, iid in enumerate(screen.sufficient):
            if iid not in items:
                yield ref.problem(f"screen.sufficient[{i}]", _unknown("screen item", iid, items))
        if screen.min_items > len(screen.items):
            yield ref.problem("screen.min_items", "min_items exceeds the number of items")
        if "{consequence}" not in p.explanation_template:
            yield ref.problem("explanation_template", "a screen's explanation must say '{consequence}'")
        yield from _ids(
            kb, "patterns", p.id, "screen.implies_conditions", screen.implies_conditions, "conditions", "condition"
        )
        yield from _ids(
            kb, "patterns", p.id, "screen.favours", [f.exercise for f in screen.favours], "exercises", "exercise"
        )
        yield from _imbalances(kb, "patterns", p.id, "screen.explains", screen.explains)
        for i, r in enumerate(screen.rereads):
            for name, fid in [("finding", r.finding), ("as_finding", r.as_finding)] + [("given", g) for g in r.given]:
                yield from _finding(kb, "patterns", p.id, f"screen.rereads[{i}].{name}", fid)
            yield from _ids(
                kb, "patterns", p.id, f"screen.rereads[{i}].given_regions", r.given_regions, "regions", "region"
            )


def _check_coverage(kb: KnowledgeBase) -> Iterator[Problem]:
    for rule in kb.coverage.values():
        yield from _ids(kb, "coverage", rule.id, "regions", rule.regions, "regions", "region")
        yield from _ids(kb, "coverage", rule.id, "aggravated_by", rule.aggravated_by, "activities", "activity")
        yield from _ids(kb, "coverage", rule.id, "tests", rule.tests, "tests", "test")
        if rule.pattern is not None:
            yield from _ids(kb, "coverage", rule.id, "pattern", [rule.pattern], "patterns", "pattern")
        if not (rule.regions or rule.aggravated_by or rule.default):
            yield _Ref(kb, "coverage", rule.id).problem("regions", "a rule needs regions, aggravated_by or default")


def _check_lifestyle(kb: KnowledgeBase) -> Iterator[Problem]:
    for f in kb.lifestyle.values():
        if f.trigger.field not in LIFESTYLE_FIELDS:
            yield _Ref(kb, "lifestyle", f.id).problem(
                "trigger.field", _unknown("assessment field", f.trigger.field, LIFESTYLE_FIELDS)
            )
        if f.trigger.field == "sports" and isinstance(f.trigger.value, list):  # the parser stores sport ids
            yield from _ids(kb, "lifestyle", f.id, "trigger.value", f.trigger.value, "sports", "sport")
        for i, fid in enumerate(f.tends_to_produce):
            yield from _finding(kb, "lifestyle", f.id, f"tends_to_produce[{i}]", fid)


def _check_exercises(kb: KnowledgeBase) -> Iterator[Problem]:
    for ex in kb.exercise.values():
        ref = _Ref(kb, "exercises", ex.id)
        if not ex.primary:
            yield ref.problem("primary", "exercise has no target muscle")
        yield from _ids(kb, "exercises", ex.id, "primary", ex.primary, "muscles", "muscle")
        yield from _ids(kb, "exercises", ex.id, "secondary", ex.secondary, "muscles", "muscle")
        yield from _ids(kb, "exercises", ex.id, "equipment", ex.equipment, "equipment", "equipment")
        yield from _ids(kb, "exercises", ex.id, "contraindications", ex.contraindications, "conditions", "condition")
        yield from _ids(kb, "exercises", ex.id, "positions", ex.positions, "positions", "position")
        yield from _redundant_contraindications(kb, ex)
        yield from _ids(kb, "exercises", ex.id, "progressions", ex.progressions, "exercises", "exercise")
        yield from _ids(kb, "exercises", ex.id, "regressions", ex.regressions, "exercises", "exercise")
        for i, fid in enumerate(ex.addresses):
            yield from _finding(kb, "exercises", ex.id, f"addresses[{i}]", fid)
    yield from _progression_cycles(kb)


def _redundant_contraindications(kb: KnowledgeBase, ex: m.Exercise) -> Iterator[Problem]:
    """A contraindication the exercise's positions already imply is a second copy of the rule: refused."""
    for i, cid in enumerate(ex.contraindications):
        cond = kb.conditions.get(cid)
        implied = sorted({f.position for f in cond.forbids} & set(ex.positions)) if cond else []
        if implied:
            yield _Ref(kb, "exercises", ex.id).problem(
                f"contraindications[{i}]",
                f"'{cid}' already rules it out through its position(s) {', '.join(implied)}: remove it here",
            )


def _check_conditions(kb: KnowledgeBase) -> Iterator[Problem]:
    """Every position a condition forbids and every exercise it calls for exists; no position twice."""
    for c in kb.conditions.values():
        ref = _Ref(kb, "conditions", c.id)
        seen: set[str] = set()
        for i, f in enumerate(c.forbids):
            if f.position not in kb.positions:
                yield ref.problem(f"forbids[{i}].position", _unknown("position", f.position, kb.positions))
            elif f.position in seen:
                yield ref.problem(f"forbids[{i}].position", f"'{f.position}' is forbidden twice")
            seen.add(f.position)
        for i, need in enumerate(c.calls_for):
            path = f"calls_for[{i}].exercises"
            yield from _ids(kb, "conditions", c.id, path, need.exercises, "exercises", "exercise")
        # a condition may account for a screen too (a replaced hip joint is not osteoarthritis)
        yield from _ids(kb, "conditions", c.id, "explains", [e.pattern for e in c.explains], "patterns", "pattern")


def _imbalances(kb: KnowledgeBase, table: str, rid: str, path: str, ids: list[str]) -> Iterator[Problem]:
    """Each id names an imbalance pattern (a screen explains imbalances, not other screens)."""
    yield from _ids(kb, table, rid, path, ids, "patterns", "pattern")
    for i, pid in enumerate(ids):
        if pid in kb.pattern and kb.pattern[pid].kind != "imbalance":
            yield _Ref(kb, table, rid).problem(f"{path}[{i}]", f"'{pid}' is a screen, not an imbalance pattern")


def _progression_cycles(kb: KnowledgeBase) -> Iterator[Problem]:
    """A progression chain must never lead back to where it started."""
    graph = {ex.id: [p for p in ex.progressions if p in kb.exercise] for ex in kb.exercise.values()}
    for ex in kb.exercise.values():
        for r in ex.regressions:
            if r in graph:
                graph[r] = [*graph[r], ex.id] if ex.id not in graph[r] else graph[r]
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(node: str, stack: list[str]) -> Iterator[Problem]:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    yield _Ref(kb, "exercises", nxt).problem(
                        "progressions", "progression cycle: " + " -> ".join([*cycle, nxt])
                    )
            elif nxt not in state:
                yield from visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            yield from visit(node, [])


def _check_safety(kb: KnowledgeBase) -> Iterator[Problem]:
    for rule in kb.safety_rules.values():
        yield from _ids(kb, "safety_rules", rule.id, "any_of", rule.any_of, "red_flags", "red flag")
        if set(rule.requires) - set(rule.any_of):
            yield _Ref(kb, "safety_rules", rule.id).problem("requires", "a required flag must be one of any_of")
        if rule.min_count > len(rule.any_of):
            yield _Ref(kb, "safety_rules", rule.id).problem("min_count", "min_count exceeds the number of flags listed")


def _near_the_healthy_mean(cutoff: object, healthy: m.Healthy | None, published: bool) -> str | None:
    """Why a cut-off would call healthy people abnormal: it lies within one SD of their mean."""
    if healthy is None or healthy.sd is None or published or not isinstance(cutoff, int | float):
        return None
    if abs(float(cutoff) - healthy.mean) >= healthy.sd:
        return None
    return (
        f"cut-off {cutoff:g} lies within one SD of the healthy mean ({healthy.mean:g} ± {healthy.sd:g}): it would "
        "call many healthy people abnormal; grade about two SD from the mean, or name a published cut-off "
        "(published_cutoff: true)"
    )


def _check_norms_against_healthy(kb: KnowledgeBase) -> Iterator[Problem]:
    for t in kb.test.values():
        for i, n in enumerate(t.norms):
            why = _near_the_healthy_mean(n.when[0].value, n.healthy, n.published_cutoff)
            if why:
                yield _Ref(kb, "tests", t.id).problem(f"norms[{i}].when[0].value", why)
    for r in kb.ratios.values():
        why = _near_the_healthy_mean(r.threshold, r.healthy, r.published_cutoff)
        if why:
            yield _Ref(kb, "ratios", r.id).problem("threshold", why)


def _check_vocabulary(kb: KnowledgeBase) -> Iterator[Problem]:
    """An alias names one record: it neither shadows another id nor repeats its own id or name."""
    for kind in vocabulary.VOCABULARIES:
        for rid, where, why in vocabulary.clashes(kb, kind):
            yield _Ref(kb, kind, rid).problem(where, why)
        for rid, record in kb.records[kind].items():
            own = {vocabulary.key(rid), vocabulary.key(getattr(record, "name", "") or rid)}
            for i, alias in enumerate(getattr(record, "aliases", ())):
                if vocabulary.key(alias) in own:
                    yield _Ref(kb, kind, rid).problem(f"aliases[{i}]", f"'{alias}' is already the id or the name")


def _check_claims(kb: KnowledgeBase) -> Iterator[Problem]:
    every = kb.all_ids() | set(kb.red_flags) | set(kb.lifestyle) | set(kb.conditions)
    for c in kb.claims.values():
        for i, kid in enumerate(c.kb):
            if kid not in every:
                yield _Ref(kb, "claims", c.id).problem(f"kb[{i}]", _unknown("knowledge id", kid, every))


CHECKS = (
    _check_sources,
    _check_muscles,
    _check_tests,
    _check_compensations_and_ratios,
    _check_patterns,
    _check_screens,
    _check_coverage,
    _check_lifestyle,
    _check_exercises,
    _check_conditions,
    _check_safety,
    _check_norms_against_healthy,
    _check_vocabulary,
    _check_claims,
)


def check_references(kb: KnowledgeBase) -> list[Problem]:
    """Every cross-reference problem in a read knowledge base."""
    return [problem for chk in CHECKS for problem in chk(kb)]


def check_figures(kb: KnowledgeBase) -> Iterator[Problem]:
    """Every exercise's figure can be drawn as its pose says (``reports.figure`` knows what it can draw:
    props in their places, hands that reach, a foot on the other knee ...). Run by :func:`check` only:
    posing every figure takes longer than loading the base."""
    from rebalance.reports.figure import figure_problems

    for ex in kb.exercise.values():
        for path, message in figure_problems(ex.pose):
            yield _Ref(kb, "exercises", ex.id).problem(path, f"the figure cannot be drawn: {message}")


def check(data_dir: Path = DATA_DIR) -> list[Problem]:
    """Read a data folder and return every problem, sorted by file and path (the figures' included)."""
    kb, problems = read_knowledge(data_dir)
    return sorted(set(problems + check_references(kb) + list(check_figures(kb))))
