"""Browser tests: a real headless Chromium against Django's live server (run with `-m e2e`)."""
