"""Acting for others (children, fullmakt) under one access policy, and the patient's view of who saw their data."""
