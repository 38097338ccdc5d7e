"""Thin views of the account pages, one module per use case: parse with a form, call one service, render or
redirect. What the browser's session holds is read and written through accounts.web_session."""
