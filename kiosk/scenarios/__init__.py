"""Scripted visits: the scripts as data (`model`, `library`) and the runner (`runner`). The seed
data they need, the simulators' side and the instant in-memory devices live with the simulators
(hw_sim/station/), reached through kiosk.simulation."""
