"""Configuration classes. Every setting comes from the environment.

The README lists each variable with its default.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("GONGJIAN_INSTANCE", BASE_DIR / "instance"))

# A key that is obviously not secret: Production refuses it.
DEV_SECRET_KEY = "dev-only-not-secret"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'gongjian.sqlite'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = ("zh_CN", "en")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Login throttling: this many failures within the window lock the account or address.
    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    LOGIN_WINDOW_MINUTES = _int("LOGIN_WINDOW_MINUTES", 15)
    # A coarse per-address request limit on the login form (Flask-Limiter).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "30 per minute")

    PASSWORD_MIN_LENGTH = _int("PASSWORD_MIN_LENGTH", 8)
    # werkzeug's default (scrypt); tests use a cheap method.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    PAGE_SIZE = _int("PAGE_SIZE", 50)
    # Rendered parts of heavy pages kept per worker, keyed by each task force's data
    # version (app/core/freshness.py); 0 turns the cache off.
    FRAGMENT_CACHE_SIZE = _int("FRAGMENT_CACHE_SIZE", 256)
    NAVBAR_CACHE_SIZE = _int("NAVBAR_CACHE_SIZE", 512)
    # Traffic lights: yellow when due within N days or without an update for M days.
    LIGHT_DUE_SOON_DAYS = _int("LIGHT_DUE_SOON_DAYS", 7)
    LIGHT_STALE_DAYS = _int("LIGHT_STALE_DAYS", 14)
    # Escalations: the decision is due this many working days (weekends skipped) after raising.
    ESCALATION_DUE_WORKING_DAYS = _int("ESCALATION_DUE_WORKING_DAYS", 3)
    # Evidence files: stored here (default instance/attachments), never under static/.
    ATTACHMENT_DIR = os.environ.get("ATTACHMENT_DIR", "")
    ATTACHMENT_MAX_BYTES = _int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
    # Mind-map and spreadsheet imports: upload size, and what an archive may unpack to.
    MINDMAP_MAX_UPLOAD_BYTES = _int("MINDMAP_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
    MINDMAP_ZIP_MAX_ENTRIES = _int("MINDMAP_ZIP_MAX_ENTRIES", 1000)
    MINDMAP_ZIP_MAX_BYTES = _int("MINDMAP_ZIP_MAX_BYTES", 20 * 1024 * 1024)
    MINDMAP_MAX_NODES = _int("MINDMAP_MAX_NODES", 20000)
    MINDMAP_MAX_DEPTH = _int("MINDMAP_MAX_DEPTH", 12)
    MINDMAP_MAX_NOTE_CHARS = _int("MINDMAP_MAX_NOTE_CHARS", 20000)
    # Spreadsheet imports (problem list, KPI readings): rows below the header, and the
    # columns read from the left (cells further right are skipped unread).
    SPREADSHEET_MAX_ROWS = _int("SPREADSHEET_MAX_ROWS", 20000)
    SPREADSHEET_MAX_COLUMNS = _int("SPREADSHEET_MAX_COLUMNS", 50)
    # Reminders (app/notify): the days before a deadline, the silence that counts as
    # stale, the wait for an acknowledgement, the warning before a temporary membership ends.
    REMINDER_DUE_SOON_DAYS = _int("REMINDER_DUE_SOON_DAYS", 3)
    REMINDER_STALE_DAYS = _int("REMINDER_STALE_DAYS", 14)
    REMINDER_UNACKNOWLEDGED_DAYS = _int("REMINDER_UNACKNOWLEDGED_DAYS", 2)
    REMINDER_MEMBERSHIP_DAYS = _int("REMINDER_MEMBERSHIP_DAYS", 7)
    # When the scheduler runs the rules (HH:MM in TIMEZONE) and how often it delivers.
    REMINDER_DAILY_AT = os.environ.get("REMINDER_DAILY_AT", "08:30")
    REMINDER_DIGEST_AT = os.environ.get("REMINDER_DIGEST_AT", "08:00")
    # On a quarter's first day the scheduler makes the review pack of the quarter before.
    REVIEW_PACK_AT = os.environ.get("REVIEW_PACK_AT", "07:00")
    DELIVERY_INTERVAL_SECONDS = _int("DELIVERY_INTERVAL_SECONDS", 60)
    # Failed deliveries: tries before giving up, first wait (doubles each try, capped).
    DELIVERY_MAX_ATTEMPTS = _int("DELIVERY_MAX_ATTEMPTS", 8)
    DELIVERY_BACKOFF_SECONDS = _int("DELIVERY_BACKOFF_SECONDS", 60)
    DELIVERY_BACKOFF_MAX_SECONDS = _int("DELIVERY_BACKOFF_MAX_SECONDS", 6 * 3600)
    DELIVERY_HTTP_TIMEOUT = _int("DELIVERY_HTTP_TIMEOUT", 10)
    # Outbox rows older than this are no longer carried to other channels.
    DELIVERY_LOOKBACK_DAYS = _int("DELIVERY_LOOKBACK_DAYS", 7)
    # Absolute links in e-mails and webhook messages.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    # E-mail: SMTP_SECURITY is "none", "starttls" or "ssl".
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _int("SMTP_PORT", 25)
    SMTP_SECURITY = os.environ.get("SMTP_SECURITY", "none")
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_FROM = os.environ.get("SMTP_FROM", "gongjian@localhost")
    SMTP_TIMEOUT = _int("SMTP_TIMEOUT", 10)
    # Adds an X-Query-Count header to every response (tests and `make bench`).
    COUNT_QUERIES = _bool("COUNT_QUERIES", False)


class DevelopmentConfig(Config):
    DEBUG = _bool("FLASK_DEBUG", False)


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"
    SQLALCHEMY_DATABASE_URI = _database_url("sqlite://")
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"
    RATELIMIT_ENABLED = False
    COUNT_QUERIES = True


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def validate(cls) -> None:
        key = os.environ.get("SECRET_KEY", "")
        if not key or key == DEV_SECRET_KEY or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
