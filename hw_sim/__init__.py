"""Simulated devices that speak the real wire protocols from the device side.

A simulator sits below the real driver (a pty for serial devices, vpcd for PC/SC, TCP for the
printer), so the driver code path in CI is the production one. Every simulator is a `SimDevice`
driven through one control API (`hw_sim.control`): direct calls in the same process, JSON lines
on a Unix socket from another process.
"""
