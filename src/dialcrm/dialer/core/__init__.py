"""Pure-Python dialing core (placeholder docstring; the public API is documented below)."""
