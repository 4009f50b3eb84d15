"""/ccadmin/v1/organizations and the storefront read: handlers and JSON shapes."""
