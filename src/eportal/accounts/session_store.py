"""Sessions in the database, renewed at most once a minute instead of written on every request.

The idle timeout is the row's expiry, SESSION_COOKIE_AGE after the last renewal. A session is renewed by the
first request RENEWAL_SECONDS or more after the last one, so it ends after SESSION_COOKIE_AGE of idleness or
up to a minute sooner (29 to 30 minutes), never later. The requests in between only read the row: no write
and no commit (with SESSION_SAVE_EVERY_REQUEST every logged-in request wrote its session)."""

import datetime

from django.contrib.sessions.backends import db
from django.utils import timezone

RENEWAL_SECONDS = 60


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        row = super()._get_session_from_db()
        if row is not None and self._due_for_renewal(row.expire_date):
            self.modified = True  # SessionMiddleware saves it: a new expiry, SESSION_COOKIE_AGE from now
        return row

    async def _aget_session_from_db(self):
        row = await super()._aget_session_from_db()
        if row is not None and self._due_for_renewal(row.expire_date):
            self.modified = True
        return row

    def _due_for_renewal(self, expire_date: datetime.datetime) -> bool:
        renewed_at = expire_date - datetime.timedelta(seconds=self.get_session_cookie_age())
        return (timezone.now() - renewed_at).total_seconds() >= RENEWAL_SECONDS
