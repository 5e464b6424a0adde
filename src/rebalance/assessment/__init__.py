"""The assessment: the input model, parsing and validation, questionnaire scoring."""
