"""Reading YAML strictly: duplicate keys are errors, dates stay text, errors say where.

PyYAML's safe loader silently keeps the last of two equal keys and turns ``2026-02-30`` into
an exception with no position. Here a duplicate key is refused with its line, timestamps are
left as strings for the schema to check (with a precise message), and a parse error names the
line and, where the parser knows it, where the unclosed structure was opened.
"""

from __future__ import annotations

from typing import Any

import yaml

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_Base):  # type: ignore[misc]
    """Safe loader that refuses duplicate keys and leaves timestamps as strings."""


def _mapping(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        # scalar keys compare by their text (cheap); anything else is constructed to compare
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else loader.construct_object(key_node, deep=True)
        if key in seen:
            first = seen[key].start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {first})", key_node.start_mark
            )
        seen[key] = key_node
    return dict(loader.construct_mapping(node, deep=True))


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def load(text: str) -> Any:
    """Parse YAML text strictly (raises yaml.YAMLError)."""
    return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a safe loader


def describe(exc: yaml.YAMLError, text: str = "") -> tuple[str, str]:
    """(where, why) for a YAML error: the line and column, and a plain reason."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    why = str(getattr(exc, "problem", None) or exc)
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark and (not mark or context_mark.line != mark.line):
        why += f" ({context} at line {context_mark.line + 1}, column {context_mark.column + 1})"
    if "\t" in text and "cannot start any token" in why:
        why += "; tabs cannot be used for indentation in YAML, use spaces"
    return where, why
