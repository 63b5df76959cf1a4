"""Django settings for dialcrm, read from the environment (see `.env.example`).

`DIALCRM_ENV` selects the defaults: `demo` (SQLite, in-memory channel layer, relaxed cookies so
the product runs on http://127.0.0.1 at once), `test` (the suite) and `production` (the default:
every secret must be given and cookies are secure).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

from dialcrm import env

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent
DIALCRM_ENV = env.choice("DIALCRM_ENV", ("demo", "test", "production"), default="production")
IS_PRODUCTION = DIALCRM_ENV == "production"
VAR_DIR = Path(env.string("DIALCRM_VAR_DIR", default=str(BASE_DIR / "var")))

if IS_PRODUCTION:
    SECRET_KEY = env.string("SECRET_KEY")
else:
    SECRET_KEY = env.string("SECRET_KEY", default=f"insecure-{DIALCRM_ENV}-key-never-in-production")
DEBUG = env.boolean("DEBUG", default=False)
ALLOWED_HOSTS = env.string_list(
    "ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.string_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "dialcrm.core",
    "dialcrm.org",
    "dialcrm.catalog",
    "dialcrm.campaigns",
    "dialcrm.dialer",
    "dialcrm.desk",
    "dialcrm.wallboard",
    "dialcrm.quality",
    "dialcrm.finance",
    "dialcrm.reports",
    "dialcrm.webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dialcrm.core.middleware.NetworkAllowListMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dialcrm.core.middleware.UserLanguageMiddleware",
    "dialcrm.core.middleware.SessionGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dialcrm.core.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "dialcrm.urls"
ASGI_APPLICATION = "dialcrm.asgi.application"
AUTH_USER_MODEL = "org.Staff"
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dialcrm.core.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env.string(
            "DATABASE_URL",
            default=f"sqlite:///{VAR_DIR / 'dialcrm.sqlite3'}"
            if DIALCRM_ENV == "demo"
            else "postgres://postgres@127.0.0.1:5432/test",
        ),
        conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", default=0, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.string(
    "REDIS_URL", default="" if DIALCRM_ENV == "demo" else "redis://127.0.0.1:6379/0"
)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Channels' Redis layer, taking a process's waiting messages many at a time
            "BACKEND": "dialcrm.core.channel_layer.BatchingRedisChannelLayer",
            # redis-py stops reading after 5 s by default, exactly as long as the channel layer
            # waits for a message: a quiet WebSocket would die. The pool must also outgrow the
            # number of desks connecting at once.
            # Messages waiting for a process's sockets share one Redis key, and what passes its
            # capacity is dropped without a word: the default 100 lost desks' calls and states
            # (and the engine agents' commands) when a floor started work at once.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "max_connections": 2000}],
                "capacity": env.integer("CHANNEL_CAPACITY", default=5000, minimum=100),
            },
        }
    }
    if env.choice("CHANNEL_LAYER", ("redis", "redis-pubsub"), default="redis") == "redis-pubsub":
        # Redis publish/subscribe: a process's messages are pushed to it, not taken one at a
        # time with a few round trips each (no capacity; nothing waits for a socket that is gone).
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [REDIS_URL]},
            }
        }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.string("CACHE_KEY_PREFIX", default="dialcrm"),
            # One pool per process: Django's cache object is per request context (ASGI)
            "OPTIONS": {"pool_class": "dialcrm.core.cache.SharedConnectionPool"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions end after a working day at most, and after a quiet spell.
SESSION_COOKIE_AGE = env.integer("SESSION_MAX_AGE_S", default=12 * 3600, minimum=300)
SESSION_IDLE_TIMEOUT_S = env.integer("SESSION_IDLE_TIMEOUT_S", default=3600, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Sign-in throttling: failures per account and per address inside the window lock them out.
LOGIN_FAILURES_PER_ACCOUNT = env.integer("LOGIN_FAILURES_PER_ACCOUNT", default=5, minimum=1)
LOGIN_FAILURES_PER_ADDRESS = env.integer("LOGIN_FAILURES_PER_ADDRESS", default=20, minimum=1)
LOGIN_LOCKOUT_S = env.integer("LOGIN_LOCKOUT_S", default=900, minimum=1)

# The client address: REMOTE_ADDR unless a trusted proxy header is configured explicitly.
CLIENT_IP_HEADER = env.string("CLIENT_IP_HEADER", default="") or None
TRUSTED_PROXY_COUNT = env.integer("TRUSTED_PROXY_COUNT", default=1, minimum=1)

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.boolean("SECURE_COOKIES", default=IS_PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.integer(
    "HSTS_SECONDS", default=31536000 if IS_PRODUCTION else 0, minimum=0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", default=False)
if env.boolean("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ro", _("Romanian"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env.string("TIME_ZONE", default="Europe/Bucharest")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
# Call recordings (Asterisk's recording spool, mounted or synced here): quality review plays them.
RECORDINGS_DIR = Path(env.string("RECORDINGS_DIR", default=str(VAR_DIR / "recordings")))
# List and do-not-call imports: the largest file accepted.
IMPORT_MAX_BYTES = env.integer("IMPORT_MAX_BYTES", default=200 * 1024 * 1024, minimum=1)

# Telephony and the dialer: `simulated` (the demo's call-center simulator) or `asterisk` (ARI).
TELEPHONY = env.choice(
    "TELEPHONY", ("simulated", "asterisk"), default="asterisk" if IS_PRODUCTION else "simulated"
)
# The demo runs the engine and simulated agents inside the web process.
DIALER_IN_PROCESS = env.boolean("DIALER_IN_PROCESS", default=DIALCRM_ENV == "demo")
# The engine's records threads on PostgreSQL (each writes whole campaigns' calls and whole
# agents' time side by side with the others); more for a large floor, up to the database's cores.
DIALER_RECORD_THREADS = env.integer("DIALER_RECORD_THREADS", default=2, minimum=1)
# An agent whose desk stays disconnected this long is paused (a call in progress goes on).
DESK_AWAY_PAUSE_S = env.integer("DESK_AWAY_PAUSE_S", default=30, minimum=5)
# ... and the background worker: imports, webhook deliveries and other background work
# (`dialcrm worker` otherwise).
WORKER_IN_PROCESS = env.boolean("WORKER_IN_PROCESS", default=DIALCRM_ENV == "demo")

# TURN for the agents' browser softphones (coturn with use-auth-secret, deploy/coturn/): the
# addresses handed to browsers (e.g. turn:turn.example.com:3478?transport=udp,
# turns:turn.example.com:5349?transport=tcp), coturn's static-auth-secret, and how long the
# credentials dialcrm issues stay valid.
TURN_URLS = env.string_list("TURN_URLS", default=[])
TURN_SECRET = env.string("TURN_SECRET", default="")
TURN_TTL_S = env.integer("TURN_TTL_S", default=12 * 3600, minimum=60)
# The agents' SIP accounts on Asterisk (`dialcrm asterisk-endpoints` writes them): the secret
# their passwords are derived from, the WebSocket the softphone registers on
# (wss://pbx.example.com:8089/ws) and the SIP domain of their addresses (by default the
# WebSocket's host).
SIP_SECRET = env.string("SIP_SECRET", default="")
SIP_WSS_URL = env.string("SIP_WSS_URL", default="")
SIP_DOMAIN = env.string("SIP_DOMAIN", default=urlsplit(SIP_WSS_URL).hostname or "")

# Webhooks (docs/webhooks.md): how long a receiver has to answer, how many times a delivery is
# tried (the waits double from the base, with jitter), the largest payload, how long a process
# keeps a company's subscriptions in memory, and the internal networks (loopback, private,
# link-local) that receivers may nevertheless be in, for on-premise use (e.g. 10.20.0.0/16).
WEBHOOK_TIMEOUT_S = env.integer("WEBHOOK_TIMEOUT_S", default=10, minimum=1)
WEBHOOK_MAX_ATTEMPTS = env.integer("WEBHOOK_MAX_ATTEMPTS", default=8, minimum=1)
WEBHOOK_RETRY_BASE_S = env.integer("WEBHOOK_RETRY_BASE_S", default=30, minimum=1)
WEBHOOK_MAX_PAYLOAD_BYTES = env.integer("WEBHOOK_MAX_PAYLOAD_BYTES", default=65536, minimum=1024)
WEBHOOK_SUBSCRIPTIONS_CACHE_S = env.integer("WEBHOOK_SUBSCRIPTIONS_CACHE_S", default=10, minimum=0)
WEBHOOK_ALLOWED_NETWORKS = env.networks("WEBHOOK_ALLOWED_NETWORKS", default=[])
# Delivered and failed deliveries are kept in the log this many days.
WEBHOOK_LOG_DAYS = env.integer("WEBHOOK_LOG_DAYS", default=30, minimum=1)

# Outgoing e-mail (scheduled reports): an SMTP server, with STARTTLS or TLS and a login if it
# asks for one. DEFAULT_FROM_EMAIL is the sender the recipients see.
EMAIL_BACKEND = env.string("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.string("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", default=25, minimum=1)
EMAIL_HOST_USER = env.string("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.boolean("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT_S", default=30, minimum=1)
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", default="dialcrm <reports@localhost>")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise env.ConfigurationError("EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other: set one.")

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
