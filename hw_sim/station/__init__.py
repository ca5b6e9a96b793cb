"""The simulated station: every device simulator of a station config, served as ONE process of
its own (`python -m hw_sim.station.serve`), and the tooling that drives a station built on them
(scripted-visit set-ups and controls, instant in-memory devices, the back-office test double's
enrolment of the sample staff). The station itself is built by kiosk's composition root exactly
as a real one; it reaches these simulators through the device URLs of its config."""
