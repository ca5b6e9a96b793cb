"""Bus probe for commissioning (scan_bus, detect_polarity): being written."""
