"""Measurements -> findings -> patterns -> safety: rules as data, small pure functions."""
