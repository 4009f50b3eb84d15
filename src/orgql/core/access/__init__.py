"""Who is calling and what they may read: principals, object-level checks, application keys."""
