"""The session engine (settings.SESSION_ENGINE): Django's database sessions, but a session cookie that
cannot be one of our keys is treated as no session. Django only checks the length, so a cookie with a
NUL byte reached PostgreSQL, which refuses NUL in text: a 500 on every page for that browser."""

import re

from django.contrib.sessions.backends import db

# Django makes keys of 32 characters from a-z and 0-9 (VALID_KEY_CHARS); the column holds 40.
SESSION_KEY = re.compile(r"[a-z0-9]{8,40}")


class SessionStore(db.SessionStore):
    def _validate_session_key(self, key):
        return bool(key) and SESSION_KEY.fullmatch(key) is not None
