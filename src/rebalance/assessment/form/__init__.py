"""The new-assessment form: every input of the contract's assessment file, and back to a document.

Pure functions beside the contract's models they are generated from; the clinic app draws the form
(``web/templates/clinician/assessment_form.html``) and posts its values back to them.

Each input is named by its field path in the assessment document (contract ``rebalance.assessment/1``)
— ``client.age``, ``symptoms.locations[0].region``, ``red_flags``,
``tests.modified_thomas.left.thigh_above_horizontal_deg``, ``tests.mmt.gluteus_medius.right``,
``questionnaires.odi[6]`` — so each problem ``parse_document`` reports lands next to its input.

The inputs are generated, not written out: the fixed sections from the contract's models
(:mod:`rebalance.assessment.models`: types, ranges and choices), the vocabularies (conditions,
equipment, regions, activities, red flags with their plain question) and every test from the knowledge
base's definitions (fields, types, units, ranges, per side, per muscle or whole).

    build_form(kb, values) -> AssessmentForm        what the template draws (values: the form's raw values)
    to_document(kb, values) -> Submitted            the values as an assessment document, and the minutes
    form_values(kb, document) -> Values             the inverse: a document as the form's values
    with_measures(kb, values, tests) -> Values      a clip's measured tests in place of the form's
    place(problems, form, submitted) -> {slot: [messages]}   each problem at its input (or its group)

An empty input is a value not given: a test with no value is not done (unknown, never normal). A value
that is not a number stays text, so the document's validation says so at the right path.
"""

from rebalance.assessment.form.build import build_form, location_row, muscle_row
from rebalance.assessment.form.document import Submitted, form_values, to_document, with_measures
from rebalance.assessment.form.model import MINUTES, AssessmentForm, slot_id
from rebalance.assessment.form.problems import place

__all__ = [
    "MINUTES",
    "AssessmentForm",
    "Submitted",
    "build_form",
    "form_values",
    "location_row",
    "muscle_row",
    "place",
    "slot_id",
    "to_document",
    "with_measures",
]
