"""rebalance's settings: one typed object, read from ``REBALANCE_*`` environment variables.

>>> Settings().database_url            # no REBALANCE_DATABASE_URL set
'sqlite:///./rebalance.db'

Each field documents itself (its description); ``Settings.model_json_schema()`` lists them all.
The web app's fields (sessions, login limits, password hashing, invitations) are read by
``rebalance.web``; their defaults are the production values.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./rebalance.db"
PHONE_PATTERN = r"^\+?[0-9(][0-9 ().-]{4,30}$"
"""A phone number as people write it: digits, spaces, + - ( ) and dots."""


class Settings(BaseSettings):
    """Everything rebalance can be configured with; each field is ``REBALANCE_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="REBALANCE_", frozen=True)

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description=(
            "SQLAlchemy URL of the database. Default: the SQLite file rebalance.db in the current working "
            "directory. PostgreSQL: postgresql+psycopg://user:password@host:5432/dbname."
        ),
        min_length=1,
    )
    database_echo: bool = Field(
        default=False,
        description="Log every SQL statement the storage layer sends (for debugging; never in production).",
    )

    # the web app (rebalance serve)
    session_idle_minutes: int = Field(
        480,
        ge=1,
        description="A web session ends after this many minutes without a request (default 8 hours).",
    )
    session_absolute_days: int = Field(
        7,
        ge=1,
        description="A web session ends this many days after login, however active (default 7).",
    )
    login_window_minutes: int = Field(
        15,
        ge=1,
        description="Failed logins are counted over this many minutes for rate limiting (default 15).",
    )
    login_max_failures_per_email: int = Field(
        5,
        ge=1,
        description="Failed logins for one email within the window before further attempts get 429 (default 5).",
    )
    login_max_failures_per_ip: int = Field(
        20,
        ge=1,
        description="Failed logins from one client address within the window before 429 (default 20).",
    )
    invitation_days: int = Field(
        7,
        ge=1,
        description="An invitation link for a patient expires after this many days (default 7).",
    )
    password_min_length: int = Field(
        12,
        ge=8,
        description="The shortest password accepted when one is set (default 12; NIST SP 800-63B asks for 8 or more).",
    )
    argon2_time_cost: int = Field(
        3,
        ge=1,
        description="Argon2id passes over memory (default 3: RFC 9106's second recommended option, with 64 MiB).",
    )
    argon2_memory_kib: int = Field(
        65536,
        ge=8,
        description="Argon2id memory in KiB (default 65536 = 64 MiB, RFC 9106). Lower it only for tests.",
    )
    argon2_parallelism: int = Field(
        4,
        ge=1,
        description="Argon2id lanes (default 4, RFC 9106).",
    )
    secure_cookies: bool = Field(
        default=False,
        description=(
            "Always mark cookies Secure. Otherwise they are Secure when the request came over https (behind a "
            "proxy listed in trusted_proxies, the scheme it forwards counts)."
        ),
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        min_length=1,
        pattern=r"^https?://[^/\s]+(/[^\s]*)?$",
        description=(
            "The address patients open the app at, such as https://clinic.example.org: the start of every "
            "invitation link (never taken from a request's Host header). Default: where `rebalance serve` "
            "listens (http://HOST:PORT)."
        ),
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description=(
            'Addresses of the reverse proxies in front of the app (JSON list, e.g. ["127.0.0.1"]). Only a '
            "request from one of them may say, in X-Forwarded-For and X-Forwarded-Proto, which client it came "
            "from and over which scheme (the client's address counts for the login limits). Default: none."
        ),
    )
    max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="The largest request body the app reads, in bytes; a larger one gets 413 (default 1 MiB).",
    )

    # the clinic, on what patients take home (the handout: whom to call)
    clinic_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="The clinic's name, printed on every handout as whom to call. Default: none (a line to fill in).",
    )
    clinic_phone: str | None = Field(
        default=None,
        pattern=PHONE_PATTERN,
        description="The clinic's phone number, printed beside its name on every handout (digits, spaces, + - ( ) .).",
    )

    # video (rebalance video DIR, and clips uploaded on the clinic app's assessment form)
    data_dir: str = Field(
        "./rebalance-data",
        min_length=1,
        description=(
            "The folder the clinic app keeps files in: uploaded clips under videos/ (made if need be). Default: "
            "rebalance-data in the current working directory. With broker_url set, workers must read it too."
        ),
    )
    video_max_bytes: int = Field(
        200 * 1_048_576,
        ge=1024,
        description="The largest clip a clinician may upload, in bytes; a larger one gets 413 (default 200 MiB).",
    )
    video_keep_days: int = Field(
        0,
        ge=0,
        le=365,
        description=(
            "How long an uploaded clip is kept, in days from its upload. A clip whose analysis has ended (measured, "
            "refused or failed) and whose days have passed is deleted at the next retention sweep: when an analysis "
            "ends in the app's own worker, when a poll of the clip's status records its end, when a clip is "
            "uploaded, and when the app starts (no timer: with days set, a clip waits for the next of these). "
            "With a broker each sweep first records the results Celery holds for jobs nobody polls (kept there "
            "24 hours). Default 0: deleted as soon as the analysis's end is recorded. The measures and their "
            "quality records stay with the job and the saved assessment."
        ),
    )
    broker_url: str | None = Field(
        default=None,
        description=(
            "Send video analyses to Celery workers through this broker (e.g. redis://127.0.0.1:6379/0) instead "
            "of a local process pool; start workers with: celery -A rebalance.video.tasks worker. Needs the "
            "video extra on both sides and the clips on a path the workers can read."
        ),
    )
    video_queue: str = Field(
        "rebalance-video",
        min_length=1,
        description="The Celery queue the video analyses go to (when broker_url is set).",
    )
