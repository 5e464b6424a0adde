"""Reports: the text report for people, the body map and charts (SVG), exercise figures, the FHIR export."""
