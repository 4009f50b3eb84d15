"""Organization request types, queries and mutations."""
