"""orgql: GraphQL gateway and OCC REST shim for B2B organization data."""
