"""Organization requests (/ccstore and /ccadmin): handlers, rendering, JSON shapes."""
