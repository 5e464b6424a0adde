"""Reports: the text report for people (later: handouts, clinician reports, FHIR)."""
