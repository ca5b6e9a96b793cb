"""Emulated lock-control boards: the board model (`boards`) and the firmware protocols as the
board sees them (`firmware`). `hw_sim.locker_board` puts them on a pseudo-terminal."""
