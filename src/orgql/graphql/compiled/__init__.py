"""A faster executor for queries: each validated operation compiled once into a plan."""
