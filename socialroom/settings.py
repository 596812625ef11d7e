"""Settings for Social Room studio, driven by the environment.

With no environment at all the studio runs embedded: SQLite in ``DATA_DIR``, an in-memory
channel layer, a local-memory cache and Celery tasks run eagerly. ``DATABASE_URL`` switches to
PostgreSQL and ``REDIS_URL`` to Redis for the channel layer, the cache and the Celery broker.
Every variable is listed in the README.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ
from celery.schedules import crontab  # type: ignore[import-untyped]

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The key from ``SECRET_KEY``, or one generated once and kept in the data folder."""
    if env.str("SECRET_KEY", default=""):
        return env.str("SECRET_KEY")
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The exact origins (scheme://host:port) of the studio's pages, which alone may open the console
# and overlay sockets from a browser. Empty: the origin the socket was opened on (its Host header,
# one of ALLOWED_HOSTS). Set it behind a proxy that terminates TLS (studio/origins.py).
STUDIO_ORIGINS = env.list("STUDIO_ORIGINS", default=[])
# More origins whose pages may open the overlay socket (a graphics vendor's template server).
OVERLAY_ORIGINS = env.list("OVERLAY_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "csp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "studio",
    "questions",
    "live",
    "reports",
]

MIDDLEWARE = [
    # First: it counts every answer, the other middlewares' included (docs/deployment.md).
    "socialroom.prometheus.HttpMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "socialroom.urls"
ASGI_APPLICATION = "socialroom.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "socialroom" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite in the data folder unless DATABASE_URL is set (PostgreSQL in production).
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent writers wait on the
    # busy timeout instead of failing with "database is locked" half-way through.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # A pool per process (psycopg_pool): under Daphne each HTTP request runs in a thread of its
    # own, so connections kept per thread (CONN_MAX_AGE) pile up; pooled ones go back after each
    # request. DB_POOL_SIZE=0 turns the pool off (then CONN_MAX_AGE applies, e.g. behind
    # PgBouncer).
    DB_POOL_SIZE = env.int("DB_POOL_SIZE", default=20)
    # PostgreSQL down, restarting or out of connections answers "unavailable" (503, or an error
    # frame on a socket) within seconds instead of holding requests and commands until it is
    # back (docs/deployment.md, "When PostgreSQL is down"). Seconds; 0 turns a timeout off.
    DB_CONNECT_TIMEOUT = env.int("DB_CONNECT_TIMEOUT", default=3)
    DB_STATEMENT_TIMEOUT = env.float("DB_STATEMENT_TIMEOUT", default=30.0)
    DB_LOCK_TIMEOUT = env.float("DB_LOCK_TIMEOUT", default=5.0)
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    if DB_CONNECT_TIMEOUT > 0:
        _options.setdefault("connect_timeout", DB_CONNECT_TIMEOUT)
    _server_settings = [
        f"-c {name}={int(seconds * 1000)}"
        for name, seconds in (
            ("statement_timeout", DB_STATEMENT_TIMEOUT),
            ("lock_timeout", DB_LOCK_TIMEOUT),
        )
        if seconds > 0
    ]
    if _server_settings:
        # Sent when connecting (libpq "options"). PgBouncer refuses startup options unless
        # told to ignore them: set both timeouts to 0 behind it, and on its databases instead.
        _options["options"] = " ".join([_options.get("options", ""), *_server_settings]).strip()
    if DB_POOL_SIZE > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        _options["pool"] = {
            "min_size": 1,
            "max_size": DB_POOL_SIZE,
            # How long a request waits for a connection: all of them busy, or PostgreSQL down
            # (the pool then keeps trying to connect in the background; clients do not).
            "timeout": env.float("DB_POOL_TIMEOUT", default=3.0),
            # A reconnection that keeps failing backs off exponentially; giving it up after a
            # few seconds lets the next request start a fresh one, so the pool connects again
            # within seconds of PostgreSQL's return rather than after the last long backoff.
            "reconnect_timeout": 5.0,
        }
    else:
        DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Pages, feeds and webhooks answer 503 "unavailable" too (the API does by itself). SQLite,
    # a file of this machine, is never unreachable.
    MIDDLEWARE.append("socialroom.middleware.DatabaseUnavailableMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: channel layer, cache and Celery broker. Without it, everything stays in process.
REDIS_URL = env.str("REDIS_URL", default="")
# A Redis that does not answer within this many seconds counts as down: the studio goes on
# without it (docs/deployment.md, "When Redis is down") instead of waiting.
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=1.0)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: one Redis message per group event and server process, fanned out to the
            # process's sockets in memory (docs/performance.md). Messages missed while Redis is
            # unreachable are caught up by seq (docs/realtime.md); sockets opened meanwhile are
            # served, their subscriptions made once Redis is back (socialroom/channel_layer.py).
            "BACKEND": "socialroom.channel_layer.ResilientPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_connect_timeout": REDIS_TIMEOUT_SECONDS}]
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "socialroom",
            "OPTIONS": {
                "pool_class": "socialroom.cache.SharedConnectionPool",
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            # The audience app's one channel per session carries every event of the session's
            # public stream: a burst must not overflow it (live/audience_app.py). A bound, not
            # an allocation; the in-memory layer takes no per-channel capacities.
            "CONFIG": {"capacity": 10_000},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sources (see docs/sources.md). The public base URL the SMS provider posts to, when a proxy
# rewrites it (the Twilio signature covers the URL as the provider saw it).
INGEST_PUBLIC_BASE_URL = env.str("INGEST_PUBLIC_BASE_URL", default="")

# Automatic moderation (see docs/moderation.md).
FLOOD_WINDOW_SECONDS = env.int("FLOOD_WINDOW_SECONDS", default=120)
FLOOD_MAX_QUESTIONS = env.int("FLOOD_MAX_QUESTIONS", default=3)
DUPLICATE_CANDIDATES = env.int("DUPLICATE_CANDIDATES", default=300)
# Processor time the automatic checks of one message may take; the checks left when it is spent
# are skipped and the question is flagged "unchecked", held for a moderator (docs/moderation.md,
# "Size limits"). The checks of a question normally take a few milliseconds.
AUTOMOD_BUDGET_SECONDS = env.float("AUTOMOD_BUDGET_SECONDS", default=0.5)

# Real-time streams (see docs/realtime.md).
EVENT_HEARTBEAT_SECONDS = env.float("EVENT_HEARTBEAT_SECONDS", default=2.0)
# Audience sockets: thousands of phones, none of them on air; a heartbeat each 2 s would cost
# more than the events.
EVENT_PUBLIC_HEARTBEAT_SECONDS = env.float("EVENT_PUBLIC_HEARTBEAT_SECONDS", default=10.0)
EVENT_REPLAY_SECONDS = env.int("EVENT_REPLAY_SECONDS", default=300)
EVENT_REPLAY_MAX = env.int("EVENT_REPLAY_MAX", default=2000)
EVENT_PRUNE_EVERY = 100
VOTES_COALESCE_SECONDS = env.float("VOTES_COALESCE_SECONDS", default=0.05)
VOTES_PUBLIC_COALESCE_SECONDS = env.float("VOTES_PUBLIC_COALESCE_SECONDS", default=1.0)
# Group commit of votes (questions/vote_writer.py): how long an idle writer waits for more
# votes, the most votes per transaction, and whether batches run in a thread of their own.
VOTE_BATCH_WINDOW_SECONDS = env.float("VOTE_BATCH_WINDOW_SECONDS", default=0.002)
VOTE_BATCH_MAX = env.int("VOTE_BATCH_MAX", default=500)
VOTE_WRITER_THREAD = env.bool("VOTE_WRITER_THREAD", default=True)
# The console, overlay and wall sockets reach the database from a thread of their own, so the
# audience's load never queues a take (live/consumers.py).
CREW_DATABASE_THREAD = env.bool("CREW_DATABASE_THREAD", default=True)
# Votes a server process holds at most (queued or being written); past it a vote is refused at
# once as "busy" (503) rather than left waiting for seconds behind the others.
VOTE_MAX_IN_FLIGHT = env.int("VOTE_MAX_IN_FLIGHT", default=2000)
WS_MAX_FRAME_BYTES = env.int("WS_MAX_FRAME_BYTES", default=16384)
# Without Redis, the cache and channel layer are per process: sockets then check the stream's head
# in the database at each heartbeat, so that writes from other processes (commands, replays)
# reach them within one heartbeat.
EVENT_HEAD_FROM_DATABASE = env.bool("EVENT_HEAD_FROM_DATABASE", default=not REDIS_URL)

# Privacy (docs/privacy.md): a new session keeps its audience's names and non-aired questions for
# this many days after it ends (a producer changes it per session); the daily run erases them at
# this hour (UTC).
AUDIENCE_DATA_RETENTION_DAYS = env.int("AUDIENCE_DATA_RETENTION_DAYS", default=30)
AUDIENCE_DATA_RETENTION_HOUR = env.int("AUDIENCE_DATA_RETENTION_HOUR", default=3)

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# At-least-once delivery: a task is acknowledged when it has run, and a task whose worker died is
# delivered again. Tasks are idempotent, so a second run changes nothing.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Tasks take well under a second; a task unacknowledged for the visibility timeout (its worker
# was killed) goes back to the queue. The hard time limit stays far below it, so a task that is
# merely slow is never delivered twice while it still runs.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=300)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_SOFT_TIME_LIMIT = 30
CELERY_TASK_TIME_LIMIT = 60
CELERY_BEAT_SCHEDULE = {
    "prune-event-logs": {"task": "studio.prune_event_logs", "schedule": 60.0},
    # Daily: erase the audience's data of sessions ended longer ago than their retention.
    "erase-expired-audience-data": {
        "task": "questions.erase_expired_audience_data",
        "schedule": crontab(hour=AUDIENCE_DATA_RETENTION_HOUR, minute=17),
    },
}
CELERY_TIMEZONE = "UTC"

# Health (docs/deployment.md, "Health"): /healthz (liveness), /readyz (readiness). The readiness
# answer is kept this many seconds per process; each probe is bounded by the timeout; a followed
# feed silent longer than the bound while its session is live is reported (0: never).
HEALTH_CACHE_SECONDS = env.float("HEALTH_CACHE_SECONDS", default=2.0)
HEALTH_TIMEOUT_SECONDS = env.float("HEALTH_TIMEOUT_SECONDS", default=2.0)
FOLLOWER_SILENCE_SECONDS = env.float("FOLLOWER_SILENCE_SECONDS", default=900.0)

# Metrics (docs/deployment.md, "Metrics"): /metrics answers these addresses or networks, or a
# request with "Authorization: Bearer <METRICS_TOKEN>". PROMETHEUS_MULTIPROC_DIR (read by
# prometheus-client from the environment) sums the values of several server processes.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password of the demo logins that `make run` seeds; generated and kept in DATA_DIR when empty.
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="")

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/studio/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Served by WhiteNoise from the app folders directly, so no collectstatic step is needed to run.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Behind a reverse proxy, the number of proxies whose X-Forwarded-For entry is trusted.
# 0 (the default) ignores the header, so a client cannot choose its own throttle key.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
if NUM_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Open audience sockets one client address may hold on one server process (0: no limit). A venue
# behind one address holds many; a script opening thousands is refused beyond this.
AUDIENCE_SOCKETS_PER_ADDRESS = env.int("AUDIENCE_SOCKETS_PER_ADDRESS", default=200)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated request gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Size-bounded parsers: see socialroom/parsers.py.
    "DEFAULT_PARSER_CLASSES": [
        "studio.parsers.JSONParser",
        "studio.parsers.FormParser",
        "studio.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "studio.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "studio.api.exception_handler",
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "submit_voter": env.str("THROTTLE_SUBMIT_VOTER", default="10/min"),
        "submit_ip": env.str("THROTTLE_SUBMIT_IP", default="120/min"),
        "vote_voter": env.str("THROTTLE_VOTE_VOTER", default="120/min"),
        "vote_ip": env.str("THROTTLE_VOTE_IP", default="3000/min"),
        "report_voter": env.str("THROTTLE_REPORT_VOTER", default="10/min"),
        "report_ip": env.str("THROTTLE_REPORT_IP", default="300/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Social Room studio API",
    "DESCRIPTION": (
        "Crew endpoints (session or token auth) to run live audience Q&A sessions, and public "
        "audience endpoints to ask and vote."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SessionStatusEnum": "studio.models.SessionStatus",
        "QuestionStatusEnum": "questions.models.QuestionStatus",
    },
}

SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy on every page: scripts only from this site, never inline. The overlay
# page tightens styles too (studio/pages.py). Untrusted text reaches pages only as text.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Logs (docs/deployment.md, "Logs"): plain text lines, or one JSON object per line with
# LOG_FORMAT=json (time, level, logger, message, and any extra fields of the record).
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # One line per HTTP request of the stream followers is noise.
        "httpx": {"level": "WARNING"},
    },
}
