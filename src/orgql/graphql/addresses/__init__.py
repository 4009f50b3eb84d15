"""Address mutations: add, update and delete an organization's secondary addresses."""
