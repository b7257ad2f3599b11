#!/usr/bin/env bash
# Runs once, when the primary's data folder is first initialised (the postgres image runs every
# script in /docker-entrypoint-initdb.d): a role that may only stream WAL, the physical slot the
# replica streams through (so the primary keeps WAL until the replica has it), and a pg_hba rule
# letting that role connect for replication. The rule takes effect on the server's real start,
# which follows these scripts.
set -euo pipefail

: "${REPLICATION_USER:?set REPLICATION_USER}"
: "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"
: "${REPLICATION_SLOT:?set REPLICATION_SLOT}"

psql --set=ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=user="$REPLICATION_USER" --set=password="$REPLICATION_PASSWORD" --set=slot="$REPLICATION_SLOT" <<'SQL'
CREATE ROLE :"user" WITH REPLICATION LOGIN PASSWORD :'password';
SELECT pg_create_physical_replication_slot(:'slot');
SQL

echo "host replication ${REPLICATION_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
