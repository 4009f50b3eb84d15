"""Organizations: create, read, list, update and move; their input rules, views and batch
reads."""
