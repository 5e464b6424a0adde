"""Read the YAML files into a :class:`KnowledgeBase`, collecting every problem on the way.

``read_knowledge`` never stops at the first problem: YAML errors, records that do not fit
their model and duplicate ids are all gathered as :class:`Problem` values naming the file and
the path inside it. ``load`` adds the cross-reference checks and raises
:class:`~rebalance.errors.KnowledgeBaseError` if anything is wrong; ``default`` loads the
packaged base once per process.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from rebalance import yamlio
from rebalance.errors import KnowledgeBaseError, Problem
from rebalance.knowledge import models as m

DATA_DIR = Path(__file__).parent / "data"

# kind -> (file pattern under the data folder, model)
KINDS: dict[str, tuple[str, type[BaseModel]]] = {
    "sources": ("sources/*.yaml", m.Source),
    "criteria": ("criteria.yaml", m.Criterion),
    "regions": ("regions.yaml", m.Region),
    "activities": ("activities.yaml", m.Term),
    "equipment": ("equipment.yaml", m.Equipment),
    "positions": ("positions.yaml", m.Position),
    "sports": ("sports.yaml", m.Term),
    "finding_kinds": ("finding_kinds.yaml", m.Term),
    "muscle_groups": ("muscle_groups.yaml", m.MuscleGroup),
    "muscles": ("muscles.yaml", m.Muscle),
    "structures": ("structures.yaml", m.Structure),
    "tests": ("tests.yaml", m.Test),
    "compensations": ("compensations.yaml", m.Compensation),
    "ratios": ("ratios.yaml", m.Ratio),
    "patterns": ("patterns.yaml", m.Pattern),
    "lifestyle": ("lifestyle.yaml", m.LifestyleFactor),
    "exercises": ("exercises/*.yaml", m.Exercise),
    "red_flags": ("red_flags.yaml", m.RedFlag),
    "conditions": ("conditions.yaml", m.ClinicalCondition),
    "safety_rules": ("safety_rules.yaml", m.SafetyRule),
    "claims": ("claims.yaml", m.Claim),
    "coverage": ("coverage.yaml", m.CoverageRule),
}

# What `explain` and `kb dump` call each kind, in the order they are searched.
EXPLAINABLE = (
    "muscles",
    "tests",
    "patterns",
    "exercises",
    "structures",
    "lifestyle",
    "finding_kinds",
    "compensations",
    "red_flags",
    "conditions",
    "positions",
    "muscle_groups",
    "ratios",
    "regions",
    "sports",
    "criteria",
    "coverage",
    "sources",
)


@dataclass(frozen=True)
class Origin:
    file: str
    index: int


@dataclass(eq=False)
class KnowledgeBase:
    """Every record, by kind and id, with where each came from."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    origins: dict[tuple[str, str], Origin] = field(default_factory=dict)
    data_dir: Path = DATA_DIR

    def __getattr__(self, kind: str) -> dict[str, Any]:
        try:
            records: dict[str, Any] = self.__dict__["records"][kind]
        except KeyError:
            raise AttributeError(kind) from None
        return records

    def find(self, record_id: str) -> list[tuple[str, Any]]:
        """All (kind, record) pairs with this id, in EXPLAINABLE order."""
        return [(k, self.records[k][record_id]) for k in EXPLAINABLE if record_id in self.records[k]]

    def all_ids(self) -> set[str]:
        return {i for k in EXPLAINABLE for i in self.records[k]}

    def where(self, kind: str, record_id: str) -> str:
        o = self.origins.get((kind, record_id))
        return f"{o.file}: [{o.index}] {record_id}" if o else f"{kind}: {record_id}"

    # typed accessors for the kinds used most, so callers keep their types
    @property
    def muscle(self) -> dict[str, m.Muscle]:
        return self.records["muscles"]

    @property
    def test(self) -> dict[str, m.Test]:
        return self.records["tests"]

    @property
    def exercise(self) -> dict[str, m.Exercise]:
        return self.records["exercises"]

    @property
    def pattern(self) -> dict[str, m.Pattern]:
        return self.records["patterns"]

    @property
    def criterion(self) -> dict[str, m.Criterion]:
        return self.records["criteria"]


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".")


def _read_file(path: Path, rel: str, problems: list[Problem]) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
        data = yamlio.load(text)
    except yaml.YAMLError as exc:
        where, why = yamlio.describe(exc, text)
        problems.append(Problem(rel, where or "?", f"YAML error: {why}"))
        return []
    except OSError as exc:
        problems.append(Problem(rel, "", f"cannot read: {exc.strerror}"))
        return []
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(Problem(rel, "", "expected a list of records at the top level"))
        return []
    return data


def _validate(model: type[BaseModel], raw: Any, rel: str, i: int, problems: list[Problem]) -> Any:
    rid = raw.get("id") if isinstance(raw, dict) else None
    prefix = f"[{i}] {rid}" if rid else f"[{i}]"
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            path = f"{prefix}.{_loc(err['loc'])}" if err["loc"] else prefix
            problems.append(Problem(rel, path, err["msg"]))
        return None


def _files(data_dir: Path) -> dict[str, list[Path]]:
    return {kind: sorted(data_dir.glob(pattern)) for kind, (pattern, _) in KINDS.items()}


def _cache_path(files: dict[str, list[Path]], data_dir: Path) -> Path:
    digest = hashlib.sha256()
    for path in sorted(p for paths in files.values() for p in paths):
        digest.update(path.relative_to(data_dir).as_posix().encode())
        digest.update(path.read_bytes())
    root = Path(os.environ.get("REBALANCE_CACHE_DIR") or Path(tempfile.gettempdir()) / "rebalance-cache")
    return root / f"knowledge-{digest.hexdigest()[:32]}.json"


def _read_raw(files: dict[str, list[Path]], data_dir: Path, problems: list[Problem]) -> dict[str, Any]:
    """Every file's parsed YAML by relative path; served from a JSON cache of the same bytes.

    The YAML files are the truth; the cache only saves re-parsing identical bytes, and is
    written only when every file parsed cleanly.
    """
    cache = _cache_path(files, data_dir)
    try:
        cached: dict[str, Any] = json.loads(cache.read_text(encoding="utf-8"))
        return cached
    except (OSError, ValueError):
        pass  # no cache for these bytes yet, or an unreadable one: parse the YAML
    raw = {}
    for paths in files.values():
        for path in paths:
            rel = path.relative_to(data_dir).as_posix()
            raw[rel] = _read_file(path, rel, problems)
    if not problems:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(raw), encoding="utf-8")
            tmp.replace(cache)
        except OSError:
            pass  # a read-only place: parse every time
    return raw


def read_knowledge(data_dir: Path = DATA_DIR) -> tuple[KnowledgeBase, list[Problem]]:
    """Read every file; return what validated and every problem found (no cross-checks)."""
    kb = KnowledgeBase(data_dir=data_dir)
    problems: list[Problem] = []
    files = _files(data_dir)
    raw = _read_raw(files, data_dir, problems)
    for kind, (pattern, model) in KINDS.items():
        kb.records[kind] = {}
        if not files[kind]:
            problems.append(Problem(pattern, "", f"no file for {kind}"))
        for path in files[kind]:
            rel = path.relative_to(data_dir).as_posix()
            for i, item in enumerate(raw.get(rel, [])):
                record = _validate(model, item, rel, i, problems)
                if record is None:
                    continue
                rid = record.id
                if rid in kb.records[kind]:
                    first = kb.where(kind, rid)
                    problems.append(Problem(rel, f"[{i}] {rid}", f"duplicate id (first at {first})"))
                    continue
                kb.records[kind][rid] = record
                kb.origins[(kind, rid)] = Origin(rel, i)
    return kb, problems


def load(data_dir: Path = DATA_DIR) -> KnowledgeBase:
    """Read and cross-check the base; raise KnowledgeBaseError listing every problem."""
    from rebalance.knowledge.check import check_references

    kb, problems = read_knowledge(data_dir)
    problems += check_references(kb)
    if problems:
        raise KnowledgeBaseError(problems)
    return kb


@functools.cache
def default() -> KnowledgeBase:
    """The packaged knowledge base, loaded once per process."""
    return load(DATA_DIR)
