"""Settings, read from environment variables with safe defaults.

Everything an office may need to change is an ``EKTP_*`` variable (or ``DATABASE_URL``);
the README lists them. Outside debug the startup check (``ektp.checks``) refuses to run
with a development secret key.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


DEV_SECRET_KEY = "ektp-development-key-not-for-production"

DEBUG = env_bool("EKTP_DEBUG", True)
SECRET_KEY = os.environ.get("EKTP_SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = os.environ.get("EKTP_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [
    origin for origin in os.environ.get("EKTP_CSRF_TRUSTED_ORIGINS", "").split(",") if origin
]

# Where the embedded database, the biometric key file and uploads live on a laptop.
DATA_DIR = Path(os.environ.get("EKTP_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

# "central" (a Dinas data centre) or "station" (a kecamatan/kelurahan laptop).
EKTP_ROLE = os.environ.get("EKTP_ROLE", "central")
# Code of this office/station; written into every enrollment id and history row.
EKTP_SITE_CODE = os.environ.get("EKTP_SITE_CODE", "DINAS")
# --- Stations and sync (ektp.stations) ---
# Key files (Ed25519 PEM; X25519 PEM for central's sealing key), made on first use.
EKTP_STATION_KEY_FILE = os.environ.get("EKTP_STATION_KEY_FILE", "")
EKTP_CENTRAL_KEY_FILE = os.environ.get("EKTP_CENTRAL_KEY_FILE", "")
EKTP_CENTRAL_BOX_KEY_FILE = os.environ.get("EKTP_CENTRAL_BOX_KEY_FILE", "")
# Guard rails: past one of these a station refuses new recordings until it syncs.
EKTP_STATION_MAX_DAYS_UNSYNCED = env_int("EKTP_STATION_MAX_DAYS_UNSYNCED", 7)
EKTP_STATION_MAX_UNSYNCED = env_int("EKTP_STATION_MAX_UNSYNCED", 2000)
EKTP_STATION_MIN_FREE_MB = env_int("EKTP_STATION_MIN_FREE_MB", 500)
EKTP_STATION_PREFETCH = env_bool("EKTP_STATION_PREFETCH", True)
# A print point's hold on a prefetched record lapses when not renewed by a pull for this long.
EKTP_PREFETCH_LEASE_DAYS = env_int("EKTP_PREFETCH_LEASE_DAYS", 14)
EKTP_SYNC_BATCH = env_int("EKTP_SYNC_BATCH", 50)
EKTP_SYNC_INTERVAL_SECONDS = env_float("EKTP_SYNC_INTERVAL_SECONDS", 60)
EKTP_SYNC_MAX_BACKOFF_SECONDS = env_float("EKTP_SYNC_MAX_BACKOFF_SECONDS", 900)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ektp",
    "ninja",
    "django_htmx",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ektp.regions",
    "ektp.accounts",
    "ektp.audit",
    "ektp.residents",
    "ektp.enrollment",
    "ektp.issuance",
    "ektp.dedup",
    "ektp.devices",
    "ektp.supplies",
    "ektp.printing",
    "ektp.stations",
    "ektp.fieldwork",
    "ektp.reports",
    "ektp.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ektp.language.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ektp.urls"
WSGI_APPLICATION = "ektp.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# Axes first: it refuses a locked-out username+IP before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ektp.accounts.context_processors.office",
            ],
        },
    },
]


def database_config() -> dict:
    default_sqlite = f"sqlite:///{DATA_DIR / 'ektp.sqlite3'}"
    config = dj_database_url.parse(os.environ.get("DATABASE_URL", default_sqlite))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN
        # so two writers queue instead of failing half-way with "database is locked".
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # Tests run on a file (one per test process), not in memory, so that concurrent
        # writers wait on the lock with WAL and the busy timeout, as in production.
        test_file = Path(tempfile.gettempdir()) / f"ektp-test-{os.getpid()}.sqlite3"
        config["TEST"] = {"NAME": str(test_file)}
    else:
        config["CONN_MAX_AGE"] = env_int("EKTP_DB_CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Stored in UTC; shown in the office's zone (WIB Asia/Jakarta, WITA Asia/Makassar,
# WIT Asia/Jayapura).
TIME_ZONE = os.environ.get("EKTP_TIME_ZONE", "Asia/Makassar")

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

TASKS = {
    "default": {
        "BACKEND": os.environ.get("EKTP_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# Pages send the token in a header (htmx) or a form field, never read it from the cookie.
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
# A shift; an operator's session on a shared office PC ends with the working day.
SESSION_COOKIE_AGE = env_int("EKTP_SESSION_SECONDS", 8 * 3600)
SECURE_REFERRER_POLICY = "same-origin"

# --- Content-Security-Policy (django-csp 4) ---------------------------------------------------
# Every script and stylesheet is served by the app; no inline script or style anywhere (htmx is
# configured through a meta tag). data: images only for the API docs' icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Login lockout (django-axes) --------------------------------------------------------------
# 5 failures for one username from one address lock that pair for 15 minutes; a success
# resets the count. Locking by the pair keeps one mistyping colleague behind the office's
# shared NAT address from locking everyone else out.
AXES_FAILURE_LIMIT = env_int("EKTP_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("EKTP_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
# Behind a reverse proxy: how many proxies stand in front of the app, so the client's address
# (not the proxy's) is counted. 0, the default: the app is reached directly.
if env_int("EKTP_PROXY_COUNT", 0):
    AXES_IPWARE_PROXY_COUNT = env_int("EKTP_PROXY_COUNT", 0)
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("EKTP_LOG_LEVEL", "INFO")},
    # django-axes logs every command's start and each failed login at INFO; lockouts (WARNING)
    # are what an office needs to see.
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Biometrics -------------------------------------------------------------------------------
# 32-byte AES key (base64) that seals templates at rest. Unset: a key file in DATA_DIR is made
# on first use (fine on a laptop; production sets the variable from its secret store).
EKTP_BIOMETRIC_KEY = os.environ.get("EKTP_BIOMETRIC_KEY", "")
EKTP_MAX_PHOTO_BYTES = env_int("EKTP_MAX_PHOTO_BYTES", 2 * 1024 * 1024)
EKTP_MIN_PHOTO_SIDE = env_int("EKTP_MIN_PHOTO_SIDE", 120)
# The chip holds two index fingers; fewer captured fingers than this is an incomplete recording.
EKTP_MIN_FINGERPRINTS = env_int("EKTP_MIN_FINGERPRINTS", 2)
EKTP_FINGERPRINT_DIM = env_int("EKTP_FINGERPRINT_DIM", 128)

# --- Penunggalan (dedup) thresholds -----------------------------------------------------------
# Face: L2 distance between dlib 128-d embeddings (dlib's own same-person bound is 0.6).
EKTP_FACE_MATCH_DISTANCE = env_float("EKTP_FACE_MATCH_DISTANCE", 0.5)
EKTP_FACE_REVIEW_DISTANCE = env_float("EKTP_FACE_REVIEW_DISTANCE", 0.6)
# Fingerprint: mean cosine similarity over the fingers both recordings have.
EKTP_FINGER_MATCH_SCORE = env_float("EKTP_FINGER_MATCH_SCORE", 0.80)
EKTP_FINGER_REVIEW_SCORE = env_float("EKTP_FINGER_REVIEW_SCORE", 0.65)
# The register's biometric index (a cache of the database, rebuilt when missing or stale), and
# the fused log-likelihood ratios at which a candidate is a duplicate / goes to a person.
EKTP_DEDUP_INDEX_DIR = Path(os.environ.get("EKTP_DEDUP_INDEX_DIR", DATA_DIR / "dedup-index"))
EKTP_DEDUP_INDEX_PERSIST_FROM = env_int("EKTP_DEDUP_INDEX_PERSIST_FROM", 5000)
EKTP_DEDUP_DUPLICATE_LLR = env_float("EKTP_DEDUP_DUPLICATE_LLR", 10.0)
EKTP_DEDUP_ADJUDICATE_LLR = env_float("EKTP_DEDUP_ADJUDICATE_LLR", 2.0)
EKTP_DEDUP_CANDIDATES_PER_SOURCE = env_int("EKTP_DEDUP_CANDIDATES_PER_SOURCE", 10)

# --- Printing capacity (domain.md §4: a healthy printer ~200 cards a day, a faulty one 75) ---
EKTP_PRINTER_CARDS_PER_DAY = env_int("EKTP_PRINTER_CARDS_PER_DAY", 200)
EKTP_DEGRADED_PRINTER_CARDS_PER_DAY = env_int("EKTP_DEGRADED_PRINTER_CARDS_PER_DAY", 75)

# --- Consumables (domain.md §4: a colour ribbon ~500 cards; film yield unverified) -----------
EKTP_RIBBON_YIELD = env_int("EKTP_RIBBON_YIELD", 500)
EKTP_FILM_YIELD = env_int("EKTP_FILM_YIELD", 500)
EKTP_STOCK_LOW_DAYS = env_int("EKTP_STOCK_LOW_DAYS", 14)

# --- Temporary certificates (Surat Keterangan pengganti KTP-el) -----------------------------
# Ed25519 private key (PEM file) that signs the QR; made on first use when missing.
EKTP_SUKET_KEY_FILE = Path(os.environ.get("EKTP_SUKET_KEY_FILE", DATA_DIR / "suket-signing.pem"))
EKTP_PUBLIC_URL = os.environ.get("EKTP_PUBLIC_URL", "http://127.0.0.1:8000")
EKTP_GOVERNMENT = os.environ.get("EKTP_GOVERNMENT", "PEMERINTAH KOTA KUPANG")
EKTP_OFFICE_NAME = os.environ.get("EKTP_OFFICE_NAME", "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL")
EKTP_OFFICE_ADDRESS = os.environ.get("EKTP_OFFICE_ADDRESS", "")
EKTP_ISSUE_PLACE = os.environ.get("EKTP_ISSUE_PLACE", "Kupang")
EKTP_OFFICIAL_TITLE = os.environ.get(
    "EKTP_OFFICIAL_TITLE", "KEPALA DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL KOTA KUPANG")
EKTP_OFFICIAL_NAME = os.environ.get("EKTP_OFFICIAL_NAME", "")
EKTP_OFFICIAL_NIP = os.environ.get("EKTP_OFFICIAL_NIP", "")
