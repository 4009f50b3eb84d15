"""The people of an account over REST: /ccadmin/v1/profiles and organizationalRoles."""
