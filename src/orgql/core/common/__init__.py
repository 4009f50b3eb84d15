"""What every domain shares: errors and codes, input validation, ids, opaque cursors,
camelCase names, page-size limits."""
