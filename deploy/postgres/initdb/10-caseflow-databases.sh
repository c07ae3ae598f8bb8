#!/bin/sh
# PostgreSQL init step (runs once, on an empty data volume): one role and one database per service, so each
# service owns its data and nobody reads another service's tables. The password of <svc> is read from
# <SVC>_DB_PASSWORD (e.g. INTAKE_DB_PASSWORD); CASEFLOW_DATABASES overrides the list of services.
set -eu

for svc in ${CASEFLOW_DATABASES:-intake dispatch escalation audit}; do
  var="$(echo "$svc" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  password="$(printenv "$var" || true)"
  if [ -z "$password" ]; then
    echo "caseflow init: $var is not set; refusing to create database $svc without a password" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 -v svc="$svc" -v password="$password" \
       --username "${POSTGRES_USER:-postgres}" --dbname postgres <<'SQL'
CREATE ROLE :"svc" LOGIN PASSWORD :'password';
CREATE DATABASE :"svc" OWNER :"svc" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"svc" FROM PUBLIC;
SQL
  echo "caseflow init: database $svc with owner $svc created"
done
