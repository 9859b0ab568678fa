"""Reliability: durability Monte Carlo, ground-restore estimates and parameter sweeps."""
