"""Account use cases, one module each: registration, SMS codes, SMS login, password reset, changes to the
account, BankID, sessions and staff login. Each takes an Actor, never an HTTP request.

Registration, the reset request and the request for a new activation link answer every visitor alike
(being on a clinic's list is itself health-related): what actually happened goes by e-mail to an address
the person already proved. Registration hashes the password on every path; the other two leave the
lookup to the worker.
"""
