"""End-to-end tests: the whole stack as separate processes."""
