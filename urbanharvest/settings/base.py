"""Settings shared by every environment. Everything that differs between deployments comes from
the environment (names in ../shared/ARCHITECTURE.md and .env.example)."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from urbanharvest.environment import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: its collectstatic (collect locally, upload what changed) replaces Django's.
    "cdn",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "storages",
    "routers",
    "marketplace",
    "orders",
    "outbox",
    "notifications",
    "events",
    "fulfilment",
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "routers.middleware.ReplicaPinMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "urbanharvest.urls"
# Database sessions, saved in one round trip where Django takes three: urbanharvest/sessions.py.
SESSION_ENGINE = "urbanharvest.sessions"
WSGI_APPLICATION = "urbanharvest.wsgi.application"

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
                "marketplace.context_processors.storefront",
            ],
        },
    },
]

# Databases: the primary, its streaming replica, and one alias per order shard (`shard_0`, ...).
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 60)


def _database(url: str) -> dict:
    return dj_database_url.parse(url, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True)


DATABASES = {"default": _database(env("DATABASE_URL"))}
# Without a replica of its own, the alias reads from the primary. MIRROR keeps the test runner from
# creating or flushing tables on a read-only server.
DATABASES["replica"] = {
    **_database(env("REPLICA_DATABASE_URL", env("DATABASE_URL"))),
    "TEST": {"MIRROR": "default"},
}
# A replica that stops answering must cost a page little before it falls back to the primary.
DATABASES["replica"]["OPTIONS"] = {"connect_timeout": env_int("REPLICA_CONNECT_TIMEOUT", 2)}
# No `SELECT 1` round trip before each request's first replica query: the router checks the replica
# itself, and a read that fails on a dead connection is answered from the primary (routers/middleware.py).
DATABASES["replica"]["CONN_HEALTH_CHECKS"] = False
for _index, _url in enumerate(env_list("SHARD_DATABASE_URLS")):
    DATABASES[f"shard_{_index}"] = _database(_url)
    # A shard that does not answer must fail its customers' checkouts fast (a 503), not hang them.
    DATABASES[f"shard_{_index}"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)

DATABASE_ROUTERS = [
    "routers.placement.PlacementRouter",
    "routers.sharding.OrderRouter",
    "routers.replica.ReplicaRouter",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Catalog reads on the replica (routers/replica.py): the lag beyond which it is skipped, how long a
# writer's reads stay on the primary after a write, how often each process re-checks its health.
REPLICA_MAX_LAG_SECONDS = float(env("REPLICA_MAX_LAG_SECONDS", "5"))
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 15)
REPLICA_HEALTH_CHECK_SECONDS = float(env("REPLICA_HEALTH_CHECK_SECONDS", "1"))
REPLICA_PRIMARY_PATHS = ["/admin/"]
# Storefront fragments and pages kept for shoppers who may read lagging data anyway
# (marketplace/fragments.py, marketplace/pages.py); within REPLICA_MAX_LAG_SECONDS together with the
# replica's lag and how stale its last measure may be (REPLICA_HEALTH_CHECK_SECONDS); 0 turns it off.
CATALOG_CACHE_SECONDS = float(env("CATALOG_CACHE_SECONDS", "3"))
# Each process keeps its own, in memory: catalog fragments in `default`, whole pages in
# `pages` (so that a burst of distinct pages cannot evict the fragments that personal pages are built
# from). Sized for a catalog's worth of each; past that the least recently used third goes.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 20000}},
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}

ORDERS_SHARDED = env_bool("ORDERS_SHARDED", True)
# Ranges of logical shards -> shard alias ("0-511=shard_0,512-1023=shard_1"); empty: an even split.
SHARD_MAP = env("SHARD_MAP", "")
# How stale a web process's view of an in-progress shard move may be (migrate_to_shards waits this long
# between steps so every process has seen the previous one).
SHARD_LAYOUT_POLL_SECONDS = float(env("SHARD_LAYOUT_POLL_SECONDS", "1.0"))
# How long checkout's stock reservation may wait for its order before reconcile_orders gives it back.
ORDER_RESERVATION_SECONDS = env_int("ORDER_RESERVATION_SECONDS", 900)

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "orders:history"
LOGOUT_REDIRECT_URL = "marketplace:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "America/Chicago")
USE_I18N = True
USE_TZ = True

# Storage: S3 (behind CloudFront where AWS_S3_CUSTOM_DOMAIN names it) whenever a bucket is configured.
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", "") or None
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", "")
AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN", "") or None
AWS_S3_URL_PROTOCOL = env("AWS_S3_URL_PROTOCOL", "https:")
AWS_S3_REGION_NAME = env("AWS_DEFAULT_REGION", "us-east-1")
AWS_S3_ADDRESSING_STYLE = "path"
AWS_S3_SIGNATURE_VERSION = "s3v4"
CLOUDFRONT_DISTRIBUTION_ID = env("CLOUDFRONT_DISTRIBUTION_ID", "")
AWS_CLOUDFRONT_ENDPOINT_URL = env("AWS_CLOUDFRONT_ENDPOINT_URL", "") or None
PRIVATE_URL_EXPIRE_SECONDS = env_int("PRIVATE_URL_EXPIRE_SECONDS", 600)

STATIC_URL = "static/"
# With static files on S3, the local build folder collectstatic hashes in and uploads from.
STATIC_ROOT = BASE_DIR / ".static"
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / ".media"
# Storage classes and their cache policies are in cdn/storage.py. `manifests` is the private storage
# under its own prefix, rewritten in place as farmers' delivery manifests change.
STORAGES = (
    {
        "default": {"BACKEND": "cdn.storage.MediaStorage"},
        "staticfiles": {"BACKEND": "cdn.storage.StaticStorage"},
        "private": {"BACKEND": "cdn.storage.PrivateStorage"},
        "manifests": {
            "BACKEND": "cdn.storage.PrivateStorage",
            "OPTIONS": {"location": "private/manifests", "file_overwrite": True},
        },
    }
    if AWS_STORAGE_BUCKET_NAME
    else {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": BASE_DIR / ".private"},
        },
        "manifests": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": BASE_DIR / ".private" / "manifests", "allow_overwrite": True},
        },
    }
)

# Kafka: client timings are settings because the local broker and a real cluster want different ones.
KAFKA_BOOTSTRAP_SERVERS = env_list("KAFKA_BOOTSTRAP_SERVERS", "")
KAFKA_SESSION_TIMEOUT_MS = env_int("KAFKA_SESSION_TIMEOUT_MS", 45000)
KAFKA_HEARTBEAT_INTERVAL_MS = env_int("KAFKA_HEARTBEAT_INTERVAL_MS", 3000)
KAFKA_FETCH_MAX_WAIT_MS = env_int("KAFKA_FETCH_MAX_WAIT_MS", 500)
KAFKA_REQUEST_TIMEOUT_MS = env_int("KAFKA_REQUEST_TIMEOUT_MS", 10000)
KAFKA_RECONNECT_BACKOFF_MAX_MS = env_int("KAFKA_RECONNECT_BACKOFF_MAX_MS", 1000)
KAFKA_LINGER_MS = env_int("KAFKA_LINGER_MS", 5)
KAFKA_COMPRESSION_TYPE = env("KAFKA_COMPRESSION_TYPE", "") or None  # "gzip": see bench/events.py for its effect
KAFKA_MAX_POLL_RECORDS = env_int("KAFKA_MAX_POLL_RECORDS", 100)
KAFKA_TOPIC_PARTITIONS = env_int("KAFKA_TOPIC_PARTITIONS", 4)
KAFKA_REPLICATION_FACTOR = env_int("KAFKA_REPLICATION_FACTOR", 1)
KAFKA_RETRY_BACKOFF_S = 0.5  # reconnecting to a broker that went away, doubling up to the max
KAFKA_RETRY_BACKOFF_MAX_S = 10.0

# The outbox relay (outbox/relay.py) and the consumer groups (events/consumer.py).
OUTBOX_RELAY_BATCH_SIZE = env_int("OUTBOX_RELAY_BATCH_SIZE", 1000)
OUTBOX_POLL_INTERVAL_S = 0.1
OUTBOX_RETENTION_HOURS = env_int("OUTBOX_RETENTION_HOURS", 168)
OUTBOX_PRUNE_INTERVAL_S = 300
CONSUMER_MAX_ATTEMPTS = env_int("CONSUMER_MAX_ATTEMPTS", 5)
CONSUMER_RETRY_BACKOFF_S = 0.2
CONSUMER_RETRY_BACKOFF_MAX_S = 5.0
# Consumer group -> its handler; each group runs as `manage.py consume_<name>`.
EVENT_CONSUMERS = {
    "notifications": "notifications.handlers.notifications_event_handle",
    "inventory-sync": "fulfilment.handlers.inventory_sync_event_handle",
    "manifests": "fulfilment.handlers.manifests_event_handle",
}

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "UrbanHarvest <orders@urbanharvest.local>")

# SMS: the recording provider keeps messages in a table (development, tests); production names the
# HTTP provider and its endpoint.
SMS_PROVIDER = env("SMS_PROVIDER", "notifications.sms.RecordingSmsProvider")
SMS_HTTP_URL = env("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = env("SMS_HTTP_TOKEN", "")
SMS_SENDER = env("SMS_SENDER", "UrbanHarvest")
# Outgoing calls to farmers' warehouse systems (fulfilment/warehouse.py).
WAREHOUSE_TIMEOUT_S = 5.0

# Traces (urbanharvest/telemetry.py): OTLP/HTTP when an endpoint is set, else console, a JSON-lines
# file, or nowhere.
OTEL_EXPORTER_OTLP_ENDPOINT = env("OTEL_EXPORTER_OTLP_ENDPOINT", "")
TRACES_EXPORTER = env("TRACES_EXPORTER", "otlp" if OTEL_EXPORTER_OTLP_ENDPOINT else "none")
if TRACES_EXPORTER not in ("otlp", "console", "file", "none"):
    raise ImproperlyConfigured(f"TRACES_EXPORTER must be otlp, console, file or none, not {TRACES_EXPORTER!r}")
TRACES_FILE = env("TRACES_FILE", str(BASE_DIR / "traces.jsonl"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"trace_context": {"()": "urbanharvest.telemetry.TraceContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [trace=%(trace_id)s span=%(span_id)s] %(message)s"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["trace_context"]},
        "recent_errors": {"class": "ops.error_ring.RecentErrorsHandler", "filters": ["trace_context"]},
    },
    "root": {"handlers": ["console", "recent_errors"], "level": env("LOG_LEVEL", "INFO")},
    # kafka-python narrates every connection at INFO.
    "loggers": {"kafka": {"level": env("KAFKA_LOG_LEVEL", "WARNING")}},
}
