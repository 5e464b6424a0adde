"""The knowledge base: muscles, structures, tests, patterns, exercises and safety, as data."""
