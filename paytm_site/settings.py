"""Settings for the wallet service. Every value comes from the environment via `env`.

The defaults are safe for a local checkout: SQLite in the project folder, DEBUG off,
local hosts only, and per-install random secrets kept in an ignored file.
"""

from datetime import timedelta
from pathlib import Path

from csp import constants as csp

from core.logs import logging_config
from paytm_site import databases
from paytm_site.env import env_bool, env_float, env_int, env_list, env_str, local_secret

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_SECRETS_FILE = Path(env_str("LOCAL_SECRETS_FILE", str(BASE_DIR / "var" / "local-secrets.json")))

SECRET_KEY = local_secret("SECRET_KEY", LOCAL_SECRETS_FILE)
JWT_SECRET = local_secret("JWT_SECRET", LOCAL_SECRETS_FILE)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "console",  # before the admin: its templates override the admin's
    "console.apps.OperationsAdminConfig",  # the admin as the operations console
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "csp",
    "core",  # before rest_framework: its template of the browsable API overrides DRF's
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "users",
    "accounts",
    "web",
]

MIDDLEWARE = [
    "core.middleware.RequestObservationMiddleware",  # first: every answer gets its id, access line and figures
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "core.middleware.BodySizeLimitMiddleware",  # after CORS: a refused body still gets its headers
    "core.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "users.middleware.PasswordDoorsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",  # django-csp's, its policy built once
    "core.middleware.PersonalDataNotStoredMiddleware",
    "core.middleware.UnavailableMiddleware",
    "core.middleware.IndiaTimeForPeopleMiddleware",
]

ROOT_URLCONF = "paytm_site.urls"
WSGI_APPLICATION = "paytm_site.wsgi.application"
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
                "web.context_processors.requests_waiting",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
# Connection handling, the same for the primary and its replicas (lowercase: not a setting).
database_connections = {
    "conn_max_age": env_int("CONN_MAX_AGE", 60),
    "pool": env_bool("DATABASE_POOL", False),
    "pgbouncer": env_bool("DATABASE_PGBOUNCER", False),
}
DATABASES = {
    "default": databases.database_from_url(
        DATABASE_URL, health_checks=env_bool("DATABASE_HEALTH_CHECKS", False), **database_connections
    )
}
# Read replicas (core/replicas.py): search, history and statements read a healthy replica;
# whatever moves or checks money, and a person's own reads just after they moved money or
# changed their profile, the primary. A replica lagging more than REPLICA_MAX_LAG_SECONDS, or
# unreachable, is skipped.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS", [])
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 10)
REPLICA_MAX_LAG_SECONDS = env_float("REPLICA_MAX_LAG_SECONDS", 5.0)
DATABASES.update(
    databases.replica_databases(
        DATABASE_REPLICA_URLS,
        primary=DATABASES["default"],
        **database_connections,
    )
)
DATABASE_ROUTERS = ["core.replicas.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_MONGODB = databases.is_mongodb_url(DATABASE_URL)
if not USING_MONGODB:
    # Signing out revokes the refresh token given (SimpleJWT's blacklist). Its models declare
    # BigAutoField keys, which django-mongodb-backend cannot store, so on MongoDB the store
    # keeps revoked tokens itself (accounts/stores/mongo.py).
    INSTALLED_APPS.append("rest_framework_simplejwt.token_blacklist")
if USING_MONGODB:
    DEFAULT_AUTO_FIELD = databases.OBJECT_ID_AUTO_FIELD
    INSTALLED_APPS = databases.mongodb_installed_apps(INSTALLED_APPS)
    MIGRATION_MODULES = databases.MONGODB_MIGRATION_MODULES

# A shared cache makes throttling hold across several server workers.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "wallet"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "users.User"
# Django's password check, refusing an address over its allowance of attempts (users/throttling.py).
AUTHENTICATION_BACKENDS = ["users.backends.ThrottledModelBackend"]
# Argon2id at OWASP's minimum (users/hashers.py); PBKDF2 hashes stored before it still verify
# and are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "users.hashers.WalletArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/signin"

LANGUAGE_CODE = "en-us"
# The database and the API keep UTC; pages and the console show India time (core/clock.py).
TIME_ZONE = "UTC"
FORMAT_MODULE_PATH = ["paytm_site.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed but not hashed: pages work whether or not collectstatic has run.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders when collectstatic has not run (local use).
WHITENOISE_USE_FINDERS = True
# With DEBUG on, an edited stylesheet is served as it now is, not as it was at start-up.
WHITENOISE_AUTOREFRESH = DEBUG

# Request bodies of this API are a few hundred bytes; refuse big ones early.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 64 * 1024)

CORS_ALLOWED_ORIGINS = env_list(
    "CORS_ALLOWED_ORIGINS",
    ["http://localhost:5173", "http://127.0.0.1:5173", "http://localhost:3000", "http://127.0.0.1:3000"],
)
CORS_ALLOW_HEADERS = ["authorization", "content-type", "idempotency-key", "x-csrftoken", "accept"]
CORS_URLS_REGEX = r"^/api/.*$"

# Money requests still pending after this many days read as expired.
REQUEST_EXPIRY_DAYS = env_int("REQUEST_EXPIRY_DAYS", 7)
# An Idempotency-Key is honoured this long (Stripe: 24 hours; fractions allowed); after that
# the same key is a new request, whether or not `prune_idempotency_keys` removed it yet.
IDEMPOTENCY_KEY_HOURS = env_float("IDEMPOTENCY_KEY_HOURS", 24)

# "30/min" by default; "off" disables throttling (load tests).
AUTH_THROTTLE_RATE = env_str("AUTH_THROTTLE_RATE", "30/min")
# Money requests a person may send ("100/hour"; "off" for none): asking is free, so it is limited.
MONEY_REQUEST_RATE = env_str("MONEY_REQUEST_RATE", "100/hour")

# A web session (pages, console) ends after this many minutes without a request, and when
# the browser closes: every request moves the end forward (one session write per page view).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.ExactJSONParser",
        "rest_framework.parsers.FormParser",  # the browsable API's forms (core/static/core/browsable-api.js)
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "core.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Client address for throttling: REMOTE_ADDR unless we sit behind that many proxies.
    # Never the raw X-Forwarded-For, which any client can set to dodge the limit.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET,
    "USER_ID_FIELD": "public_id",
    "USER_ID_CLAIM": "userId",
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a hash of the password: changing it retires every earlier token.
    "CHECK_REVOKE_TOKEN": True,
    "UPDATE_LAST_LOGIN": False,
    # A refresh gives a new refresh token too, and the one used can never refresh again
    # (on MongoDB through the revocations its store keeps: users/stores/mongo.py).
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Wallet API",
    "DESCRIPTION": "Peer-to-peer wallet: sign up, sign in, find people, send money.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Behind TLS (HTTPS=true, as in production): secure cookies, HSTS, redirect to https.
# Off by default so `make run` and `make serve` work over plain http://localhost.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS and env_int("NUM_PROXIES", 0) > 0:
    # The proxy that terminates TLS says so in this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain http
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Content-Security-Policy (django-csp) on every response: scripts, styles and everything else
# only from this site (no inline script: pages load theirs from static files), never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}

# Logs: JSON lines (`make serve`'s default, set in paytm_site/gunicorn.conf.py) or text, with
# every secret masked (core/logs.py).
LOG_FORMAT = env_str("LOG_FORMAT", "text")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"))

# /metrics (Prometheus): answered to these addresses, or to `Authorization: Bearer METRICS_TOKEN`.
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
