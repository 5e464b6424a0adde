"""The corrective program: exercise selection, dosing, schedule, habits, progression."""
