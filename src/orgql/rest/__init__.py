"""OCC-compatible REST shim: the vendor's paths, headers and JSON shapes over the core."""
