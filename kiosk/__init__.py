"""Controller software for a 24-hour self-service government station.

Layers (imports point downward only): screens -> app -> flows -> services -> devices;
`locker_firmware_bridge` and `hw_sim` sit below the device backends. See docs/developer/layers.md.
"""

__version__ = "0.1.0"
