"""Helpers for the analysis tests (importable by worker processes: pytest puts this test folder on sys.path)."""
