"""Running the portal in production: the worker's scheduled jobs, health, backups."""
