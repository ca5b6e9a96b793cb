"""Alembic migrations of the office database (run by office.db.migrate)."""
