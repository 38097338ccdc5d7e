"""Use cases of acting for others: giving and ending fullmakt (`proxies`), and telling a person, known by
their national identity number, that something concerns them (`contact`)."""
