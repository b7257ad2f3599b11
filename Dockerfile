# The UrbanHarvest image: the web app (the default command, gunicorn) and every worker
# (`python manage.py relay_outbox`, the consumers, migrations), as docker-compose.yml runs them.
# Pinned to an exact Python release and Debian suite so a rebuild gets the same base.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# An unprivileged user owns only what the app writes; the code itself stays root-owned and read-only.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when requirements.txt changes.
# Every runtime dependency ships a manylinux wheel, so the image needs no compiler.
COPY requirements.txt ./
RUN pip install --requirement requirements.txt

COPY . .
RUN mkdir -p .static .media && chown app:app .static .media

USER app
ENV DJANGO_SETTINGS_MODULE=urbanharvest.settings.production \
    WEB_BIND=0.0.0.0:8000
EXPOSE 8000

CMD ["gunicorn", "--config", "urbanharvest/gunicorn.conf.py"]
