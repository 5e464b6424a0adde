"""Passwords, web sessions, CSRF tokens and login rate limits: the web app's security policy.

Passwords
    Argon2id (argon2-cffi ``PasswordHasher``) with RFC 9106's second recommended parameters by
    default (t=3, 64 MiB, p=4; see ``Settings.argon2_*``). A hash made with older parameters is
    replaced at the next successful login (``check_needs_rehash``). An unknown email, an inactive
    user or a user without a password is checked against a dummy hash, so every failed login costs
    the same time.

Sessions
    The cookie ``rebalance_session`` carries a random 256-bit token; the database holds only its
    SHA-256. HttpOnly, SameSite=Lax (Strict would drop the cookie when a patient follows an e-mailed
    link), Secure on https, Path=/. A session ends after ``session_idle_minutes`` without a request
    (8 h), ``session_absolute_days`` after login (7 days), on logout (the row is deleted), when the
    user is deactivated and when their password is set; expired rows are purged at the next
    successful login. Every login makes a new token and deletes the session the browser had.

CSRF
    Signed in: the session's own random token, rendered into every form (``csrf_token``) and into
    ``hx-headers`` for HTMX (``X-CSRF-Token``). Signed out (login and invitation forms): the same
    token is also set in the ``rebalance_csrf`` cookie and the two must match (double submit).
    Compared in constant time; :func:`rebalance.web.deps.csrf_protect` enforces it.

Login rate limits
    ``login_max_failures_per_email`` (5) failures for one email from one address, or
    ``login_max_failures_per_ip`` (20) from one address, within ``login_window_minutes`` (15) → 429
    with Retry-After, counted in the database so every process sees them. An email locked from one
    address still signs in from another that has not failed (a stranger's guesses do not lock the
    real user out); a success resets the email's count (not the address's). An attempt is counted
    before its password is checked, with the email's and the address's attempts held
    (``repos.logins``): parallel attempts never get past a limit. The client's address is the
    connection's, or what a trusted proxy forwards (``Settings.trusted_proxies``; ``web/app.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request, Response
from sqlalchemy.orm import Session

from rebalance.config import Settings
from rebalance.storage.repos import logins, users, web_sessions
from rebalance.storage.schemas import UserPublic, WebSessionPublic
from rebalance.storage.types import utc_now

SESSION_COOKIE = "rebalance_session"
CSRF_COOKIE = "rebalance_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
TOUCH_EVERY = dt.timedelta(minutes=1)  # record activity at most this often (fewer writes)


# tokens


def new_token() -> str:
    """A random URL-safe token of 256 bits."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database stores for a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(expected: str | None, supplied: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    if not expected or not supplied:
        return False
    return hmac.compare_digest(expected.encode(), supplied.encode())


# passwords


class Passwords:
    """Argon2id hashing with the configured parameters, and constant-time failure for unknown users."""

    def __init__(self, settings: Settings) -> None:
        self.hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        self.min_length = settings.password_min_length
        self._dummy = self.hasher.hash(new_token())

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; with no hash, a dummy is checked so the time is the same."""
        try:
            return self.hasher.verify(password_hash or self._dummy, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)

    def problem(self, password: str, repeated: str) -> str | None:
        """Why a new password is refused, or None."""
        if password != repeated:
            return "The two passwords are not the same."
        if len(password) < self.min_length:
            return f"Choose a password of at least {self.min_length} characters."
        return None


# sessions


@dataclass(frozen=True)
class SignedIn:
    """The signed-in user of a request and their web session."""

    user: UserPublic
    web_session: WebSessionPublic


def _is_https(request: Request, settings: Settings) -> bool:
    return settings.secure_cookies or request.url.scheme == "https"


def set_cookie(response: Response, request: Request, settings: Settings, name: str, value: str, max_age: int) -> None:
    """Set one of the app's cookies: HttpOnly, SameSite=Lax, Path=/, Secure on https."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=_is_https(request, settings)
    )


def find_session(db: Session, settings: Settings, request: Request) -> SignedIn | None:
    """The request's signed-in user, or None (no cookie, unknown token, expired, inactive user): one query.

    An active session is marked seen, at most once a minute, in ``db``'s unit of work. An expired one is
    only refused: the row is left to the purge at the next login."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found = web_sessions.find_web_session(db, token_hash(token))
    if found is None:
        return None
    web_session, user = found
    now = utc_now()
    idle = dt.timedelta(minutes=settings.session_idle_minutes)
    if web_session.expires_at <= now or web_session.last_seen_at + idle <= now or not user.active:
        return None
    if now - web_session.last_seen_at >= TOUCH_EVERY:
        web_sessions.touch_web_session(db, web_session.id, now)
    return SignedIn(user, web_session)


def start_session(
    db: Session, settings: Settings, request: Request, response: Response, user_id: int
) -> WebSessionPublic:
    """Sign a user in: a new token in the cookie, and the browser's previous session (if any) deleted."""
    previous: SignedIn | None = getattr(request.state, "signed_in", None)
    if previous is not None:
        web_sessions.end_web_session(db, previous.web_session.id)
    now = utc_now()
    lifetime = dt.timedelta(days=settings.session_absolute_days)
    token = new_token()
    web_session = web_sessions.create_web_session(db, user_id, token_hash(token), new_token(), now, now + lifetime)
    set_cookie(response, request, settings, SESSION_COOKIE, token, int(lifetime.total_seconds()))
    request.state.signed_in = None  # this request was made signed out; the next one carries the new cookie
    return web_session


def end_session(db: Session, response: Response, signed_in: SignedIn | None) -> None:
    """Sign out: delete the session row and the cookie."""
    if signed_in is not None:
        web_sessions.end_web_session(db, signed_in.web_session.id, signed_in.user.id)
    response.delete_cookie(SESSION_COOKIE, path="/")


# CSRF


def csrf_token_for(request: Request) -> str:
    """The token a page puts in its forms: the session's, or else the signed-out cookie's (made if missing)."""
    signed_in: SignedIn | None = getattr(request.state, "signed_in", None)
    if signed_in is not None:
        return signed_in.web_session.csrf_token
    token: str | None = getattr(request.state, "new_csrf_cookie", None) or request.cookies.get(CSRF_COOKIE)
    if not token or len(token) > 64:
        token = new_token()
        request.state.new_csrf_cookie = token  # rendering.render sets the cookie
    return token


def expected_csrf_token(request: Request, signed_in: SignedIn | None) -> str | None:
    """The token a state-changing request must carry."""
    if signed_in is not None:
        return signed_in.web_session.csrf_token
    return request.cookies.get(CSRF_COOKIE)


# login


@dataclass(frozen=True)
class LoginOutcome:
    """A login attempt's result: the user on success, or seconds to wait when rate limited."""

    user_id: int | None = None
    retry_after: int | None = None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def retry_after(db: Session, settings: Settings, email: str, ip: str, now: dt.datetime) -> int | None:
    """Seconds until another attempt is allowed, or None when it is allowed now."""
    window = dt.timedelta(minutes=settings.login_window_minutes)
    failures = logins.login_failures(db, email, ip, now - window)
    waits = []
    if failures.by_email >= settings.login_max_failures_per_email and failures.oldest_by_email:
        waits.append(failures.oldest_by_email + window - now)
    if failures.by_ip >= settings.login_max_failures_per_ip and failures.oldest_by_ip:
        waits.append(failures.oldest_by_ip + window - now)
    if not waits:
        return None
    return max(1, math.ceil(max(waits).total_seconds()))


def log_in(db: Session, settings: Settings, passwords: Passwords, email: str, password: str, ip: str) -> LoginOutcome:
    """Check a login: the rate limit first, the attempt counted, then the password (constant time).

    Counting is its own short transaction, committed before the password is checked: the check takes a
    tenth of a second by design, and no lock is held meanwhile (on SQLite, no other request waits)."""
    now = utc_now()
    logins.hold_login_keys(db, email, ip)
    wait = retry_after(db, settings, email, ip, now)
    if wait is not None:
        return LoginOutcome(retry_after=wait)
    attempt = logins.add_attempt(db, email, ip, now)
    credentials = users.credentials_for(db, email)
    db.commit()
    stored = credentials.password_hash if credentials is not None and credentials.active else None
    if not passwords.verify(stored, password) or credentials is None or stored is None:
        logins.login_failed(db, email, ip, credentials.id if credentials else None)
        return LoginOutcome()
    if passwords.needs_rehash(stored):
        users.rehash_password(db, credentials.id, passwords.hash(password))
    logins.login_succeeded(db, attempt, credentials.id, ip)
    logins.purge_login_attempts(db, now - dt.timedelta(minutes=settings.login_window_minutes))
    web_sessions.purge_web_sessions(db, now, now - dt.timedelta(minutes=settings.session_idle_minutes))
    return LoginOutcome(user_id=credentials.id)
