"""Device classes (one interface each) and their backends.

Interface modules (`kiosk.devices.<class>`) import no device library, so flows can import them;
backends are imported lazily by `kiosk.devices.registry` when a URL selects them.
"""
