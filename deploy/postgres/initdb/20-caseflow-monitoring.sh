#!/bin/sh
# PostgreSQL init step (runs once, on an empty data volume): the login of the postgres-exporter, caseflow_monitor,
# with PostgreSQL's own least-privilege monitoring role pg_monitor (reads the statistics views and settings: the
# connections, replication and database figures) and nothing else: no database of its own, no CONNECT on any
# service's database (10-caseflow-databases.sh revoked it from PUBLIC), no table of any service. Its password is
# MONITOR_DB_PASSWORD. On an existing volume, run this script once by hand (docs/operations.md, "Exporters").
set -eu

password="$(printenv MONITOR_DB_PASSWORD || true)"
if [ -z "$password" ]; then
  echo "caseflow init: MONITOR_DB_PASSWORD is not set; refusing to create the monitoring login without a password" >&2
  exit 1
fi
psql -v ON_ERROR_STOP=1 -v role="${CASEFLOW_MONITOR_ROLE:-caseflow_monitor}" -v password="$password" \
     --username "${POSTGRES_USER:-postgres}" --dbname postgres <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION CONNECTION LIMIT 3;
GRANT pg_monitor TO :"role";
SQL
echo "caseflow init: monitoring login ${CASEFLOW_MONITOR_ROLE:-caseflow_monitor} (pg_monitor) created"
