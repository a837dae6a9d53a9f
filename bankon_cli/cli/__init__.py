"""Command groups: thin over services, one module per group."""
