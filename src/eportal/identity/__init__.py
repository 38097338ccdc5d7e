"""Norwegian national identity numbers and mobile numbers: parsing, validation, synthetic test data."""
