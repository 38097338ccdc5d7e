"""The page an e-mailed link opens (activation, a new e-mail address). Its token has already been moved from
the address into the session; a GET only shows the page, since link scanners and prefetchers follow links,
and the page's button (a POST) acts."""

from django.shortcuts import render

from .. import web_session
from ..errors import AccountError
from ..links import user_from_link
from ..services.registration import bad_link


def link_page(request, uidb64, *, works, act, template: str, bad_link_page):
    """`works(user, token)` says whether the link still works; `act(user, token)` acts on the POST and returns the
    answer; `bad_link_page(request, error)` is shown for a link that does not work."""
    token = web_session.link_token(request)
    user = user_from_link(uidb64)
    if request.method == "POST":
        try:
            response = act(user, token)
        except AccountError as exc:
            return bad_link_page(request, exc)
        web_session.link_token(request, forget=True)
        return response
    if not works(user, token):
        return bad_link_page(request, bad_link())
    return render(request, template)
