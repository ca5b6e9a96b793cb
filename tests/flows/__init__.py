"""Flow tests: every flow, its failure paths, timeouts at every state, layering, scenarios."""
