"""Append-only log of who did what to whose data."""
