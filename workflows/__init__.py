"""Deterministic workflow code: one module per process, the calendar, the profiles, the step engine."""
