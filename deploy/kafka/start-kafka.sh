#!/usr/bin/env bash
# Entrypoint of the broker (apache/kafka image): the image's own start (/etc/kafka/docker/run), preceded on the very
# first start (no meta.properties in the log directory yet) by formatting the KRaft storage with the SCRAM-SHA-512
# credentials of the admin and of the broker itself (kafka-storage.sh format --add-scram, KIP-900). SCRAM users live
# in the cluster metadata, so the first ones must be written there before the broker serves anyone: every other user
# is created afterwards by the admin (acls.sh). Later starts find the storage formatted and only run the image's start.
#
#   SCRAM_ADMIN_PASSWORD   password of User:admin (KAFKA_ADMIN_PASSWORD in deploy/.env)
#   SCRAM_BROKER_PASSWORD  password of User:broker, the inter-broker login (KAFKA_BROKER_PASSWORD in deploy/.env)
#   CLUSTER_ID, KAFKA_*    as the image reads them (KAFKA_FOO_BAR=x is the broker property foo.bar=x)
set -euo pipefail

TOOLS_BIN="${TOOLS_BIN:-/opt/kafka/bin}"
IMAGE_START="${IMAGE_START:-/etc/kafka/docker/run}"

: "${CLUSTER_ID:?CLUSTER_ID is not set}"
: "${SCRAM_ADMIN_PASSWORD:?SCRAM_ADMIN_PASSWORD is not set}"
: "${SCRAM_BROKER_PASSWORD:?SCRAM_BROKER_PASSWORD is not set}"
log_dir="${KAFKA_LOG_DIRS:?KAFKA_LOG_DIRS is not set}"
for var in SCRAM_ADMIN_PASSWORD SCRAM_BROKER_PASSWORD; do
  # SCRAM and JAAS syntax: no quotes, commas or brackets; long enough to be a secret. The value is never printed.
  if ! [[ "${!var}" =~ ^[A-Za-z0-9._~-]{24,}$ ]]; then
    echo "caseflow: $var must be at least 24 characters of A-Z a-z 0-9 . _ ~ - (python3 -c 'import secrets; print(secrets.token_urlsafe(32))')" >&2
    exit 1
  fi
done

# The broker properties from the KAFKA_* environment, by the image's rule: strip KAFKA_, lower case, ___ -> -,
# __ -> _, _ -> . (the image's own JVM and logging variables are not broker properties).
render_properties() {
  local name value key
  while IFS='=' read -r name value; do
    case "$name" in
      KAFKA_VERSION | KAFKA_HEAP_OPTS | KAFKA_LOG4J_OPTS | KAFKA_OPTS | KAFKA_JMX_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | \
        KAFKA_GC_LOG_OPTS | KAFKA_LOG4J_ROOT_LOGLEVEL | KAFKA_LOG4J_LOGGERS | KAFKA_TOOLS_LOG4J_LOGLEVEL | KAFKA_JMX_HOSTNAME)
        continue ;;
    esac
    key="${name#KAFKA_}"
    key="${key,,}"
    key="${key//___/-}"
    key="${key//__/@}"
    key="${key//_/.}"
    printf '%s=%s\n' "${key//@/_}" "$value"
  done < <(env | grep '^KAFKA_[A-Z0-9_]*=')
}

if [ ! -f "$log_dir/meta.properties" ]; then
  echo "caseflow: first start, formatting $log_dir with the admin and broker SCRAM credentials"
  format_config="$(mktemp)"
  trap 'rm -f "$format_config"' EXIT
  (umask 077 && render_properties > "$format_config")
  "$TOOLS_BIN/kafka-storage.sh" format --cluster-id "$CLUSTER_ID" --config "$format_config" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$SCRAM_ADMIN_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=broker,password=$SCRAM_BROKER_PASSWORD]"
  rm -f "$format_config"
  trap - EXIT
fi

exec "$IMAGE_START"
