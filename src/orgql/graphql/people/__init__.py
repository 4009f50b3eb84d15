"""The people of an account in GraphQL: contacts, their organizations and roles."""
