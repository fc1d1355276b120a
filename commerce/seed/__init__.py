"""Deterministic seed data: the product catalog, stores and recipes (plain records, no I/O)."""
