"""Test-only tracker package (importable by module path from tests and spawned workers)."""
