"""Organization.history: recorded changes as a connection."""
