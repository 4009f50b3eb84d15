"""Organization requests (self-registration): submit, update, approve, reject, and their reads."""
