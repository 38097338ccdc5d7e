"""The demo: Gjerdrum legesenter with synthetic patients, its BankID provider on loopback and its outbox page."""
