"""Configuration classes, read from environment variables.

Nothing secret has a default: production refuses to start without SECRET_KEY and DATABASE_URL,
and development generates a per-machine key under instance/ rather than shipping one in the repo.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


class ConfigError(RuntimeError):
    """Raised when a required setting is missing; the message names the variable."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _database_url(default: str | None) -> str | None:
    url = os.environ.get("DATABASE_URL") or default
    # Heroku-style URLs say postgres://; SQLAlchemy wants a driver name.
    if url and url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _instance_secret() -> str:
    """A per-machine development key, created on first use and never committed."""
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        # Written aside, then linked into place (which fails if another process got there first): web workers
        # starting together all read the one whole key, or a cookie signed by one would be refused by the others.
        draft = INSTANCE / f"secret_key.{os.getpid()}"
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


class BaseConfig:
    ENV_NAME = "base"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the signed-in session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    #: The longest answer is 50,000 characters (minutes); even written entirely in 4-byte characters and
    #: percent-encoded that fits. Anything larger is refused with the friendly 413 page before a view parses it.
    MAX_CONTENT_LENGTH = 768 * 1024
    MAX_FORM_MEMORY_SIZE = 768 * 1024

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = _database_url(None)
        self.SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 30)
        self.SESSION_LIFETIME_HOURS = _int("SESSION_LIFETIME_HOURS", 12)
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=self.SESSION_LIFETIME_HOURS)
        # The session row in the database decides when a session ends (idle, or SESSION_LIFETIME_HOURS after
        # sign-in); the cookie, set at sign-in, lasts as long as the longest session. Signing it again on every
        # response (0.4 ms a page) would only move its expiry past the moment the row ends the session anyway.
        self.SESSION_REFRESH_EACH_REQUEST = False
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        #: PostgreSQL plans a statement once per connection and reuses the plan (psycopg prepares what a connection
        #: runs 5 times); 0 behind a connection pooler in transaction mode that cannot carry prepared statements
        self.DATABASE_PREPARED_STATEMENTS = _bool("DATABASE_PREPARED_STATEMENTS", True)
        #: a code from an authenticator app after the password, for everyone (ASVS 2.7/2.8; NHS DSPT)
        self.MFA_REQUIRED = _bool("MFA_REQUIRED", True)
        #: the demo users share one published authenticator key (README); only a demo may accept it
        self.DEMO_TOTP_SECRET_ALLOWED = True
        # Sign-in through the partnership's identity provider (OpenID Connect; e.g. Microsoft Entra ID:
        # https://login.microsoftonline.com/<tenant id>/v2.0). Off unless the issuer and client id are set.
        self.OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
        self.OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
        self.OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
        self.OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
        #: the claim holding the email address that matches an account here (Entra ID: email or preferred_username)
        self.OIDC_EMAIL_CLAIM = os.environ.get("OIDC_EMAIL_CLAIM", "email")
        self.OIDC_BUTTON_TEXT = os.environ.get("OIDC_BUTTON_TEXT", "Sign in with your organisation's account")
        #: how long an emailed link to choose a password works (it also stops working once used)
        self.SET_PASSWORD_LINK_HOURS = _int("SET_PASSWORD_LINK_HOURS", 72)
        #: how many proxies (load balancer, reverse proxy) stand in front of the app and set X-Forwarded-For
        self.TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
        #: how long a "break glass" opening of a record outside someone's scope lasts before they must ask again
        self.BREAK_GLASS_HOURS = _int("BREAK_GLASS_HOURS", 4)
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
        #: searches of children's records per user; bulk look-ups are not how this service is used
        self.SEARCH_RATE_LIMIT = os.environ.get("SEARCH_RATE_LIMIT", "60 per minute")
        # Local settings (each partnership's own missing-children procedure): this many episodes within this
        # many days prompts MASH to convene a strategy discussion.
        self.MISSING_REPEAT_THRESHOLD = _int("MISSING_REPEAT_THRESHOLD", 3)
        self.MISSING_REPEAT_WINDOW_DAYS = _int("MISSING_REPEAT_WINDOW_DAYS", 30)
        self.PARTNERSHIP_NAME = os.environ.get("PARTNERSHIP_NAME", "Safeguarding partnership")
        #: where people report accessibility problems or ask for another format (the accessibility statement)
        self.ACCESSIBILITY_CONTACT = os.environ.get("ACCESSIBILITY_CONTACT", "")
        self.BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
        # Email: real SMTP; nothing is sent unless SMTP_HOST is set.
        self.SMTP_HOST = os.environ.get("SMTP_HOST", "")
        self.SMTP_PORT = _int("SMTP_PORT", 25)
        self.SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
        self.SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
        self.SMTP_STARTTLS = _bool("SMTP_STARTTLS", False)
        self.SMTP_TIMEOUT = _int("SMTP_TIMEOUT", 10)
        # A council relay signed by an internal certificate authority: trust that CA for STARTTLS.
        self.SMTP_CA_FILE = os.environ.get("SMTP_CA_FILE", "")
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "no-reply@localhost")
        self.MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "smtp")  # smtp | notify
        self.NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY", "")
        self.NOTIFY_TEMPLATE_ID = os.environ.get("NOTIFY_TEMPLATE_ID", "")
        self.NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
        self.SWEEP_INTERVAL_MINUTES = _int("SWEEP_INTERVAL_MINUTES", 5)
        self.DELIVER_INTERVAL_SECONDS = _int("DELIVER_INTERVAL_SECONDS", 60)
        #: how long the scheduler's lease lasts without renewal: a standby scheduler takes over this long after the
        #: leader stops renewing it (renewed every third of it)
        self.SCHEDULER_LEASE_SECONDS = _int("SCHEDULER_LEASE_SECONDS", 60)
        #: how often the sweep also walks the whole backlog (for anything recorded more than a week late)
        self.REMINDER_CATCH_UP_MINUTES = _int("REMINDER_CATCH_UP_MINUTES", 60)
        self.DIGEST_HOUR = _int("DIGEST_HOUR", 8)
        #: the reports' summaries: the recent days (FIGURES_RECENT_DAYS back) are worked out again this often, every
        #: day each night (recent records still change, and "due by now" figures change with the clock)
        self.FIGURES_REFRESH_MINUTES = _int("FIGURES_REFRESH_MINUTES", 15)
        self.FIGURES_RECENT_DAYS = _int("FIGURES_RECENT_DAYS", 100)
        #: an API client's Idempotency-Key is remembered this long: a retry within it replays the first answer; the
        #: scheduler forgets older keys each night (they hold only a kind and an id, but grow with every POST)
        self.API_IDEMPOTENCY_DAYS = _int("API_IDEMPOTENCY_DAYS", 30)
        #: how long a webhook delivery that was sent (or withheld) stays in the client's log; failed ones stay
        self.API_WEBHOOK_KEEP_DAYS = _int("API_WEBHOOK_KEEP_DAYS", 30)
        # Local strategy discussion timescales (working days); the partnership's procedures set them.
        self.DISCUSSION_WITHIN_WORKING_DAYS = _int("DISCUSSION_WITHIN_WORKING_DAYS", 1)
        self.MINUTES_CIRCULATION_WORKING_DAYS = _int("MINUTES_CIRCULATION_WORKING_DAYS", 1)
        self.FOLLOW_UP_MEETING_WORKING_DAYS = _int("FOLLOW_UP_MEETING_WORKING_DAYS", 5)

    def validate(self) -> None:
        """Fail fast, naming every missing variable at once."""
        missing = [name for name in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI") if not getattr(self, name)]
        if missing:
            names = ["DATABASE_URL" if m == "SQLALCHEMY_DATABASE_URI" else m for m in missing]
            raise ConfigError(f"{self.ENV_NAME} configuration needs environment variable(s): {', '.join(names)}")


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"
    DEBUG = False  # the debugger would show stack traces to anyone who reaches the port

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = self.SECRET_KEY or _instance_secret()
        INSTANCE.mkdir(exist_ok=True)
        self.SQLALCHEMY_DATABASE_URI = self.SQLALCHEMY_DATABASE_URI or f"sqlite:///{INSTANCE / 'safeguarding.sqlite'}"


class TestConfig(BaseConfig):
    ENV_NAME = "test"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = secrets.token_hex(16)
        # Tests choose their own database; TEST_DATABASE_URL (PostgreSQL in CI) wins over the in-memory default.
        self.SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
        if self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            from sqlalchemy.pool import StaticPool

            self.SQLALCHEMY_ENGINE_OPTIONS = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        # Tests sign in with a password only; the two-step sign-in is tested with it switched on
        # (tests/test_mfa.py), as it is everywhere else unless MFA_REQUIRED=0.
        self.MFA_REQUIRED = False
        self.SMTP_HOST = ""
        self.BASE_URL = "http://localhost"


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"

    def __init__(self) -> None:
        super().__init__()
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
        if self.SESSION_COOKIE_SECURE:
            # __Host- binds the cookie to this exact host over HTTPS (ASVS 3.3.3).
            self.SESSION_COOKIE_NAME = "__Host-session"
        # The demo key is printed in the README: an account holding it has no second factor at all.
        self.DEMO_TOTP_SECRET_ALLOWED = False
        self.validate()


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> BaseConfig:
    name = name or os.environ.get("APP_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise ConfigError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
