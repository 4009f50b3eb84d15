"""What every domain shares: errors and codes, input validation, ids, opaque cursors,
page-size limits."""
