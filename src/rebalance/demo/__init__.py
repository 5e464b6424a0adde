"""A demo clinic for ``rebalance serve --demo`` (``make run``): seeded into an EMPTY database only.

    seed_demo(session_factory, kb)   an admin, a clinician and five patients with a few weeks of history
    is_empty, is_demo                what the database holds
    demo_logins()                    the logins (public demo passwords: never a real clinic)

The patients' assessments are the realistic cases of ``examples/`` (``cases.py``); their analyses,
programs and progressions come from the library. See ``clinic.py`` for the five stories.
"""

from __future__ import annotations

from rebalance.demo.clinic import DEMO_PASSWORDS, PATIENTS, DemoLogin, demo_logins, is_demo, is_empty, seed_demo

__all__ = ["DEMO_PASSWORDS", "PATIENTS", "DemoLogin", "demo_logins", "is_demo", "is_empty", "seed_demo"]
