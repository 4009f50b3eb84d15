"""Authentication: admin access tokens we sign, shopper tokens the identity provider signs."""
