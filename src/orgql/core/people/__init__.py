"""The people of an account: contacts (profiles), their organizations and their roles."""
