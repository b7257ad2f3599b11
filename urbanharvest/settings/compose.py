"""docker-compose: the production settings, served over plain HTTP on the developer's machine.

The compose stack has no TLS terminator in front of gunicorn, so production's HTTPS-only parts
(the redirect, HSTS, cookies sent only over HTTPS) would lock the browser and the smoke script out.
Everything else is production's: required secrets, DEBUG off, S3 storage, real SMTP.
"""

from urbanharvest.settings.production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
