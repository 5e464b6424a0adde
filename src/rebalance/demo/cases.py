"""The realistic cases of ``examples/``, which the demo clinic is made of.

    examples_dir()        where they are
    example_case(name)    one of them (``examples/NAME.yaml`` or ``examples/followup/NAME.yaml``), as data

A wheel ships them inside the package, as ``rebalance/examples`` (``pyproject.toml``:
``[tool.hatch.build.targets.wheel.force-include]``); from a source checkout (``make install``, an
editable install) they are read where they are kept, ``examples/`` at the top of the checkout. Either
way they are the same files the README, the tests and the command line use: there is no copy to drift.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rebalance import yamlio

PACKAGED = Path(__file__).resolve().parents[1] / "examples"
"""The examples inside an installed wheel."""
CHECKOUT = Path(__file__).resolve().parents[3] / "examples"
"""The examples of a source checkout (``src/rebalance/demo`` → the checkout's top)."""


def examples_dir() -> Path:
    """The examples folder: the installed package's, else the source checkout's."""
    return PACKAGED if PACKAGED.is_dir() else CHECKOUT


def example_case(name: str) -> dict[str, Any]:
    """The example case ``name`` as parsed data (the top folder first, then ``followup/``)."""
    folder = examples_dir()
    path = next((p for p in (folder / f"{name}.yaml", folder / "followup" / f"{name}.yaml") if p.is_file()), None)
    if path is None:
        raise FileNotFoundError(f"no example case {name!r} in {folder}")
    data: dict[str, Any] = yamlio.load(path.read_text(encoding="utf-8"))
    return data
