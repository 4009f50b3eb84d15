"""The Organization type, its connections, filters and inputs; organization queries and
mutations."""
