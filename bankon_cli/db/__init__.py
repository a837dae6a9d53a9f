"""Database layer: models, engine and session, queries, migrations."""
