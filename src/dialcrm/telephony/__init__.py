"""Telephony: one gateway interface (`gateway.py`) and its adapters (simulated, Asterisk ARI)."""
