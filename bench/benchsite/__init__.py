"""A Django site for the login load benchmark (bench/auth_bench.py): eportal's production settings
and URLs, plus a bare view as the yardstick. Used only by the benchmark; nothing in src/ imports it."""
