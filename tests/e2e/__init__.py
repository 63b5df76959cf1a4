"""Browser tests (a package: its modules import each other relatively and keep unique names)."""
