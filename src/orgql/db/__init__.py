"""Database access: engine, ORM models, migrations and the embedded server."""
