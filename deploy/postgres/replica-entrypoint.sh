#!/usr/bin/env bash
# The replica's entrypoint. On the first start (empty data folder) it copies the primary with
# `pg_basebackup -R`, which also writes standby.signal and primary_conninfo, streaming through the
# slot the primary's init script made. Every start then hands over to the image's own entrypoint,
# which finds an existing cluster, skips initdb and runs it: a hot standby streaming from the primary.
set -euo pipefail

: "${PRIMARY_HOST:?set PRIMARY_HOST}"
PRIMARY_PORT="${PRIMARY_PORT:-5432}"
: "${REPLICATION_USER:?set REPLICATION_USER}"
: "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"
: "${REPLICATION_SLOT:?set REPLICATION_SLOT}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    until pg_isready --host "$PRIMARY_HOST" --port "$PRIMARY_PORT" --quiet; do
        echo "replica: waiting for the primary at $PRIMARY_HOST"
        sleep 1
    done
    echo "replica: copying the primary (pg_basebackup -R)"
    PGPASSWORD="$REPLICATION_PASSWORD" gosu postgres pg_basebackup \
        --host "$PRIMARY_HOST" --port "$PRIMARY_PORT" --username "$REPLICATION_USER" \
        --pgdata "$PGDATA" --write-recovery-conf --wal-method stream --checkpoint fast \
        --slot "$REPLICATION_SLOT" --no-password
fi

exec docker-entrypoint.sh postgres
