#!/bin/sh
# One-shot set-up of the S3 store, safe to run on every `up`: the bucket; anonymous reads on its
# public prefixes only (static/ and media/, what the pages link to, as a CDN would serve them);
# and the app's own access key, limited to this bucket by app-policy.json (the app never uses the
# root credentials).
set -eu

: "${BUCKET:?set BUCKET}"
: "${APP_ACCESS_KEY:?set APP_ACCESS_KEY}"
: "${APP_SECRET_KEY:?set APP_SECRET_KEY}"

mc alias set store http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing "store/$BUCKET"
mc anonymous set download "store/$BUCKET/static"
mc anonymous set download "store/$BUCKET/media"

sed "s/BUCKET/$BUCKET/g" /setup/app-policy.json > /tmp/app-policy.json
mc admin policy create store urbanharvest-app /tmp/app-policy.json
mc admin user add store "$APP_ACCESS_KEY" "$APP_SECRET_KEY"
# Attaching twice is an error, so attach only when the user does not have the policy yet.
mc admin user info store "$APP_ACCESS_KEY" | grep -q urbanharvest-app \
    || mc admin policy attach store urbanharvest-app --user "$APP_ACCESS_KEY"
echo "minio-setup: bucket $BUCKET ready"
