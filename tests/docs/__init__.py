"""Tests that the documentation matches the code (links, commands, ADR index, the MkDocs site)."""
