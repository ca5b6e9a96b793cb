"""Scripted visits on the simulated station (`kiosk scenario NAME`): scripts as data
(`model`, `library`), the seed data they need (`sim_setups`), the runner (`sim_runner`), and the
instant in-memory devices used to measure the station's own overhead (`instant_sim`)."""
