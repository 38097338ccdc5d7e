"""Account use cases, one module each: registration, SMS codes, SMS login, password reset, changes to the
account, BankID, sessions and staff login. Each takes an Actor, never an HTTP request.

Registration, the reset request and the request for a new activation link answer every visitor alike
(being on a clinic's list is itself health-related): what actually happened goes by e-mail to an address
the person already proved. Registration hashes the password on every path it does not drop; the other two
look the account up and queue one job on every path (account_mail). A dropped request (throttled per client
network, or past the person's e-mail caps) gets the same answer too.
"""
