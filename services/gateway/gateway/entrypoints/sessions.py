"""The gateway's session cookie, encrypted (issue 16, point 10). Flask's own cookie is signed
but readable: anyone holding it (a shared computer, a proxy's log) read the coordinator's id
and the flash messages ("Signed in as Ali Khan."). Here the same session, serialised as
Flask serialises it, is sealed with Fernet (AES-128-CBC and HMAC-SHA256, from the
`cryptography` package): nothing in the cookie can be read or changed without the key,
which is derived from LINK_SECRET like the signing key before it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import Flask
from flask.sessions import SecureCookieSessionInterface, session_json_serializer
from itsdangerous import BadSignature


class _Sealed:
    """What Flask's cookie session interface asks of its serializer: dumps and loads."""

    def __init__(self, key: bytes) -> None:
        self.fernet = Fernet(key)

    def dumps(self, session: dict[str, Any]) -> str:
        plain = session_json_serializer.dumps(session).encode()
        return self.fernet.encrypt(plain).decode("ascii")

    def loads(self, sealed: str, max_age: int | None = None) -> Any:
        try:
            plain = self.fernet.decrypt(sealed.encode("ascii"), ttl=max_age)
        except (InvalidToken, ValueError, UnicodeEncodeError) as exc:
            raise BadSignature("not a session this gateway sealed") from exc
        return session_json_serializer.loads(plain.decode())


class EncryptedSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session (its expiry, flags and refresh), with a sealed value."""

    def get_signing_serializer(self, app: Flask) -> _Sealed | None:  # type: ignore[override]
        if not app.secret_key:
            return None
        digest = hmac.new(str(app.secret_key).encode(), b"session-encryption", hashlib.sha256)
        return _Sealed(base64.urlsafe_b64encode(digest.digest()))
