"""Site organization properties: handlers and JSON shapes."""
