"""An organization's secondary addresses: add, read, update, delete, and their events."""
