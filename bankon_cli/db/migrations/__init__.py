"""Alembic migrations. HEAD_REVISION lets start-up skip Alembic when the schema is current."""

# Keep equal to the newest revision; tests/integration/test_migrations.py checks it.
HEAD_REVISION = "0002"
