"""Small pieces every layer shares: the injected clock and the core event queue."""
