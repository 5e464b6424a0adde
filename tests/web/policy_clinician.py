"""Access rules for the clinician pages and their JSON endpoints (merged into access_policy.POLICY)."""

from __future__ import annotations

from tests.web.access_policy import Rule

CLINICIAN_POLICY: dict[tuple[str, str], Rule] = {}
