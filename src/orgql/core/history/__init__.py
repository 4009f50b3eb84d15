"""Organization history: who changed what and when, and point-in-time reads."""
