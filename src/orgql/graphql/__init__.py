"""The GraphQL transport: strawberry types over the service core."""
