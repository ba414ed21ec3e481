"""Fixture generators used only by tests: the spec's casebook, files to reject."""
