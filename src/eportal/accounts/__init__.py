"""Portal users: registration, activation, password + SMS login, sessions, staff two-factor."""
