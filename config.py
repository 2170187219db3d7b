"""Configuration classes. Every setting comes from the environment.

The README lists each variable with its default.
"""

import math
import os
from collections import Counter
from datetime import timedelta
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


def _list(name: str, default: str = "") -> tuple[str, ...]:
    """A comma- or space-separated list, lower-cased (host names)."""
    value = os.environ.get(name, default)
    return tuple(part.strip().lower() for part in value.replace(",", " ").split() if part.strip())


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
    # A connection idle in the pool is pinged before use (``core/database.py``), not
    # every connection on every checkout: that ping was a round trip per request.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # SQLite waits this long for another connection's write to finish before answering
    # "database is locked": longer than the longest write (an import, a reminder pass).
    SQLITE_BUSY_TIMEOUT_SECONDS = _int("SQLITE_BUSY_TIMEOUT_SECONDS", 30)
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

    # Login throttling: this many failures against one account within the window lock
    # that account (and its owner is told); from one address, failures beyond the free
    # ones make it wait 1, 2, 4 … seconds (capped) before the next try.
    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    LOGIN_WINDOW_MINUTES = _int("LOGIN_WINDOW_MINUTES", 15)
    LOGIN_ADDRESS_FREE_FAILURES = _int("LOGIN_ADDRESS_FREE_FAILURES", 10)
    LOGIN_ADDRESS_MAX_DELAY_SECONDS = _int("LOGIN_ADDRESS_MAX_DELAY_SECONDS", 300)
    # Signed-in browsers (and remember-me) end after this many days at the latest.
    SESSION_LIFETIME_DAYS = _int("SESSION_LIFETIME_DAYS", 14)
    REMEMBER_COOKIE_DURATION = timedelta(days=SESSION_LIFETIME_DAYS)
    # Two-factor sign-in: a browser whose owner ticks "remember" skips the second step
    # for this many days (at most 30; 0 offers no remembering).
    TWO_FACTOR_REMEMBER_DAYS = _int("TWO_FACTOR_REMEMBER_DAYS", 30)
    # Administrators enrol before they can do anything else (off in the tests' config
    # only, where most tests sign administrators in with a password alone).
    TWO_FACTOR_REQUIRED_FOR_ADMINS = True
    # Behind a reverse proxy: how many proxies set X-Forwarded-For / -Proto (0: none,
    # the client's address is the connection's).
    PROXY_HOPS = _int("PROXY_HOPS", 0)
    # Strict-Transport-Security on every response (on in production).
    HSTS = _bool("HSTS", False)
    # A coarse per-address request limit on the login form, and the REST API's per token
    # (Flask-Limiter). The counters live in the application's database by default
    # (``gongjian+db://``, app/core/ratelimit.py), so every host and worker shares them;
    # ``redis://host:6379/0`` (with the ``redis`` package) or ``memory://`` (per process).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "gongjian+db://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "30 per minute")

    # The REST API (/api/v1): calls per token (per address without one), the rows of a
    # page when the call asks for no ``per_page`` (at most 100), and the longest life a
    # personal access token may be given.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")
    API_PAGE_SIZE = _int("API_PAGE_SIZE", 50)
    API_TOKEN_MAX_DAYS = _int("API_TOKEN_MAX_DAYS", 365)

    PASSWORD_MIN_LENGTH = _int("PASSWORD_MIN_LENGTH", 8)
    # werkzeug's default (scrypt); tests use a cheap method.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    PAGE_SIZE = _int("PAGE_SIZE", 50)
    # Rendered parts of heavy pages kept per worker, keyed by each task force's data
    # version (app/core/freshness.py); 0 turns the cache off.
    FRAGMENT_CACHE_SIZE = _int("FRAGMENT_CACHE_SIZE", 256)
    NAVBAR_CACHE_SIZE = _int("NAVBAR_CACHE_SIZE", 512)
    # The same fragments kept as files every worker of the host reads, so that a page is
    # computed once per host after a change, not once per worker; "" keeps them per worker.
    FRAGMENT_CACHE_DIR = os.environ.get("FRAGMENT_CACHE_DIR", str(INSTANCE_DIR / "fragments"))
    FRAGMENT_CACHE_FILES = _int("FRAGMENT_CACHE_FILES", 2000)
    # Traffic lights: yellow when due within N days or without an update for M days.
    LIGHT_DUE_SOON_DAYS = _int("LIGHT_DUE_SOON_DAYS", 7)
    LIGHT_STALE_DAYS = _int("LIGHT_STALE_DAYS", 14)
    # Escalations: the decision is due this many working days (weekends skipped) after raising.
    ESCALATION_DUE_WORKING_DAYS = _int("ESCALATION_DUE_WORKING_DAYS", 3)
    # Evidence files: stored here (default instance/attachments), never under static/.
    ATTACHMENT_DIR = os.environ.get("ATTACHMENT_DIR", "")
    ATTACHMENT_MAX_BYTES = _int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
    # Comments one person may post in a minute (0: no limit).
    COMMENTS_PER_MINUTE = _int("COMMENTS_PER_MINUTE", 6)
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
    # Each day at this time the scheduler makes last month's supervision bulletins, once,
    # from this month's first working day on.
    BULLETIN_AT = os.environ.get("BULLETIN_AT", "08:30")
    # Public holidays and the weekend days worked in their place (调休): ISO dates or
    # ranges "2026-10-01..2026-10-08", comma-separated.
    HOLIDAYS = os.environ.get("HOLIDAYS", "")
    MAKEUP_WORKDAYS = os.environ.get("MAKEUP_WORKDAYS", "")
    DELIVERY_INTERVAL_SECONDS = _int("DELIVERY_INTERVAL_SECONDS", 60)
    # Failed deliveries: tries before giving up, first wait (doubles each try, capped).
    DELIVERY_MAX_ATTEMPTS = _int("DELIVERY_MAX_ATTEMPTS", 8)
    DELIVERY_BACKOFF_SECONDS = _int("DELIVERY_BACKOFF_SECONDS", 60)
    DELIVERY_BACKOFF_MAX_SECONDS = _int("DELIVERY_BACKOFF_MAX_SECONDS", 6 * 3600)
    DELIVERY_HTTP_TIMEOUT = _int("DELIVERY_HTTP_TIMEOUT", 10)
    # A sender holds a delivery this long; it claims no more than the lease can send at
    # the longest timeout each, and renews its claim before every send.
    DELIVERY_LEASE_SECONDS = _int("DELIVERY_LEASE_SECONDS", 300)
    # Outbox rows older than this are no longer carried to other channels.
    DELIVERY_LOOKBACK_DAYS = _int("DELIVERY_LOOKBACK_DAYS", 7)
    # Absolute links in e-mails, webhook messages and calendar files.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    # Single sign-on (app/people/sso): how long a provider may take to answer, and each
    # workplace app's hosts (their public ones by default; a test points them elsewhere).
    SSO_HTTP_TIMEOUT = _int("SSO_HTTP_TIMEOUT", 10)
    WECOM_LOGIN_URL = os.environ.get("WECOM_LOGIN_URL", "https://login.work.weixin.qq.com")
    WECOM_OAUTH_URL = os.environ.get("WECOM_OAUTH_URL", "https://open.weixin.qq.com")
    WECOM_API_URL = os.environ.get("WECOM_API_URL", "https://qyapi.weixin.qq.com")
    DINGTALK_LOGIN_URL = os.environ.get("DINGTALK_LOGIN_URL", "https://login.dingtalk.com")
    DINGTALK_API_URL = os.environ.get("DINGTALK_API_URL", "https://api.dingtalk.com")
    DINGTALK_OAPI_URL = os.environ.get("DINGTALK_OAPI_URL", "https://oapi.dingtalk.com")
    FEISHU_ACCOUNTS_URL = os.environ.get("FEISHU_ACCOUNTS_URL", "https://accounts.feishu.cn")
    FEISHU_API_URL = os.environ.get("FEISHU_API_URL", "https://open.feishu.cn")
    # Names this installation in calendar events' UIDs ("meeting-12@<id>"), so that two
    # installations never share one; empty: the host of BASE_URL. Keep it once set.
    INSTALLATION_ID = os.environ.get("INSTALLATION_ID", "")
    # Hosts (names or addresses) a channel may send to besides the robots' own vendors:
    # an intranet robot gateway, or a generic webhook at a loopback or link-local address.
    NOTIFY_ALLOWED_HOSTS = _list("NOTIFY_ALLOWED_HOSTS")
    # E-mail: SMTP_SECURITY is "none", "starttls" or "ssl".
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _int("SMTP_PORT", 25)
    SMTP_SECURITY = os.environ.get("SMTP_SECURITY", "none")
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_FROM = os.environ.get("SMTP_FROM", "gongjian@localhost")
    SMTP_TIMEOUT = _int("SMTP_TIMEOUT", 10)
    # Signing in with the bank's directory (LDAP / Active Directory, app/people/service/
    # directory.py). LDAP_URL empty: no directory, local passwords only. ldaps:// or
    # LDAP_START_TLS; certificates are always checked (against LDAP_CA_FILE, or the
    # system's authorities when empty) and the host name must match.
    LDAP_URL = os.environ.get("LDAP_URL", "")
    LDAP_START_TLS = _bool("LDAP_START_TLS", False)
    LDAP_CA_FILE = os.environ.get("LDAP_CA_FILE", "")
    # The service account that searches the directory (empty: an anonymous search).
    LDAP_BIND_DN = os.environ.get("LDAP_BIND_DN", "")
    LDAP_BIND_PASSWORD = os.environ.get("LDAP_BIND_PASSWORD", "")
    LDAP_BASE_DN = os.environ.get("LDAP_BASE_DN", "")
    # {username} is replaced by the typed name, escaped (RFC 4515).
    LDAP_USER_FILTER = os.environ.get("LDAP_USER_FILTER", "(&(objectClass=person)(uid={username}))")
    # Only members of this group (a DN) may sign in; empty: everyone the filter finds.
    LDAP_REQUIRED_GROUP = os.environ.get("LDAP_REQUIRED_GROUP", "")
    # How membership is read: "member" or "uniqueMember" (the group's attribute that
    # lists its members' DNs) or "memberOf" (the person's attribute, Active Directory).
    LDAP_GROUP_MEMBERSHIP = os.environ.get("LDAP_GROUP_MEMBERSHIP", "member")
    # The attributes an account is filled from; comma-separated names are tried in turn,
    # and an empty mobile or org unit setting leaves that field to the administrator.
    LDAP_ATTR_USERNAME = os.environ.get("LDAP_ATTR_USERNAME", "uid")
    LDAP_ATTR_DISPLAY_NAME = os.environ.get("LDAP_ATTR_DISPLAY_NAME", "displayName,cn")
    LDAP_ATTR_EMAIL = os.environ.get("LDAP_ATTR_EMAIL", "mail")
    LDAP_ATTR_MOBILE = os.environ.get("LDAP_ATTR_MOBILE", "mobile")
    LDAP_ATTR_ORG_UNIT = os.environ.get("LDAP_ATTR_ORG_UNIT", "departmentNumber,ou")
    # Seconds to connect and for each answer.
    LDAP_TIMEOUT = _int("LDAP_TIMEOUT", 5)
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
    # Each test's database starts its versions again: fragments are kept per app only
    # (tests/core/test_freshness.py turns the shared folder on where it is the subject).
    FRAGMENT_CACHE_DIR = ""
    TWO_FACTOR_REQUIRED_FOR_ADMINS = False
    COUNT_QUERIES = True
    # The tests' robot and webhook receivers listen on loopback: allowed, as an admin
    # would allow an intranet gateway.
    NOTIFY_ALLOWED_HOSTS = _list("NOTIFY_ALLOWED_HOSTS", "127.0.0.1")


def secret_key_bits(key: str) -> float:
    """An estimate of a key's randomness: its length times the Shannon entropy of its
    characters. A long key of few distinct characters ("aaaa…", "abcabc…") scores low."""
    if not key:
        return 0.0
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_char * len(key)


# Production refuses a SECRET_KEY estimated below this many bits, or of fewer than 16
# distinct characters (a 43-character secrets.token_urlsafe(32) scores about 200).
MIN_SECRET_KEY_BITS = 128


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = _bool("HSTS", True)

    @classmethod
    def validate(cls) -> None:
        key = os.environ.get("SECRET_KEY", "")
        weak = secret_key_bits(key) < MIN_SECRET_KEY_BITS or len(set(key)) < 16
        if key == DEV_SECRET_KEY or weak:
            raise RuntimeError(
                "SECRET_KEY must be set to a long random value in production, for example "
                "the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
