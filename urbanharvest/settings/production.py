"""Production: every secret and address from the environment, HTTPS only. Refuses to start without
DJANGO_SECRET_KEY, DATABASE_URL and DJANGO_ALLOWED_HOSTS."""

from urbanharvest.environment import REQUIRED, env, env_int, env_list
from urbanharvest.settings.base import *  # noqa: F403

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", REQUIRED)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", ",".join(f"https://{h}" for h in ALLOWED_HOSTS))

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# Text messages go to the SMS gateway (SMS_HTTP_URL), not into the development provider's table.
SMS_PROVIDER = env("SMS_PROVIDER", "notifications.sms.HttpSmsProvider")
