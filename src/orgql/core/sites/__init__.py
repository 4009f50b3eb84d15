"""Per-site values of an organization: site properties, contracts, approval rules, effective
reads."""
