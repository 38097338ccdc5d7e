"""Outgoing SMS and e-mail: backends, and the demo's outbox."""
