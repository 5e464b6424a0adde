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
            "proxy, run uvicorn with --proxy-headers so the scheme is seen)."
        ),
    )
    reads_in_event_loop: bool = Field(
        default=True,
        description=(
            "Run a GET request's database reads in the server process's event loop, one request at a time per "
            "process (serve --workers N for more): no trip to a worker thread, and no threads contending for "
            "the GIL. Set false for a database far away on the network, whose every query waits long."
        ),
    )
    batched_sign_ins: bool = Field(
        default=True,
        description=(
            "On PostgreSQL, look up the sessions of a patient's cached pages (GET /today) awaited in the event "
            "loop, one statement for the requests that arrive together (web/sign_ins.py), instead of one read "
            "each that holds the loop for its round trip."
        ),
    )
    writers_per_process: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description=(
            "How many requests that change records a server process runs at once, each in a worker thread; "
            "the others wait their turn in the event loop. Default: 1 on SQLite, which takes one writer at a "
            "time anyway; 2 on a server database, so that one request's work overlaps another's wait for "
            "the server. More threads contending for the GIL make every request slower (bench/README.md)."
        ),
    )

    # many videos at once (rebalance video DIR)
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
