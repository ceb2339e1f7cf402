"""Console routes: a full page per URL and the fragments those pages swap, one module per area."""
