#!/bin/sh
# Locks the bus: one SCRAM-SHA-512 user per service and the ACLs of the topic map, on a broker that allows nothing
# no ACL allows (StandardAuthorizer, allow.everyone.if.no.acl.found=false). Run by the kafka-acls one-shot service of
# docker-compose.yml; by hand: docs/operations.md, "Locking the bus". Safe to repeat: users are upserted (a changed
# password is set), ACLs already there are left alone. It only adds: withdrawing a grant is done by hand (kafka-acls
# --remove), as is the admin's and the broker's own user (created when the storage is formatted: start-kafka.sh).
#
# The topic map (caseflow_common.topics, contracts.producer_of, each service's ServiceSpec.consumes; the test
# tests/deploy/test_deploy_kafka_acls.py checks this table against the code). Each service's principal User:<service>
#   - writes its own topic (its producer owns it: consumers drop events of anyone else) and the dead-letter topic,
#   - reads the topics it consumes, and the dead-letter topic (python -m <service> dlq-replay reads it back; a dead
#     letter only ever holds an event of a topic the service reads or writes anyway),
#   - describes those topics (metadata, end offsets for the broker guard),
#   - joins only its own consumer group, caseflow-<service>.
# Password of <service>: <SERVICE>_KAFKA_PASSWORD (e.g. INTAKE_KAFKA_PASSWORD); the admin's: SCRAM_ADMIN_PASSWORD.
#
# The kafka-exporter (lag and end offsets for Prometheus) logs in as User:exporter (EXPORTER_KAFKA_PASSWORD) and may
# only describe: every caseflow topic (metadata, end offsets) and every service's consumer group (its committed
# offsets). It reads no event and writes nothing.
set -eu

DLQ=caseflow.dlq.v1
# service     writes                   reads (comma-separated)
TOPIC_MAP='
intake        caseflow.intake.v1       caseflow.dispatch.v1,caseflow.escalation.v1
dispatch      caseflow.dispatch.v1     caseflow.intake.v1,caseflow.escalation.v1
escalation    caseflow.escalation.v1   caseflow.intake.v1,caseflow.dispatch.v1
audit         -                        caseflow.intake.v1,caseflow.dispatch.v1,caseflow.escalation.v1
'

. "$(dirname "$0")/admin.sh"

acl() { # acl <service> <kafka-acls arguments...>: allow User:<service> what the arguments name
  principal="User:$1"
  shift
  "$TOOLS_BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" \
    --add --allow-principal "$principal" --allow-host '*' --resource-pattern-type literal "$@" >/dev/null
}

password_of() { # the service's password from <SERVICE>_KAFKA_PASSWORD; refuses a missing or weak one (never printed)
  var="$(echo "$1" | tr '[:lower:]' '[:upper:]')_KAFKA_PASSWORD"
  value="$(printenv "$var" || true)"
  case "$value" in
    *[!A-Za-z0-9._~-]* | "")
      echo "acls.sh: $var is not set or has characters outside A-Z a-z 0-9 . _ ~ -; refusing to create user $1" >&2
      exit 1 ;;
  esac
  if [ "${#value}" -lt 24 ]; then
    echo "acls.sh: $var is shorter than 24 characters; refusing to create user $1" >&2
    exit 1
  fi
  printf '%s' "$value"
}

EXPORTER=exporter

# Every password checked before anything changes: a missing one leaves the broker as it was.
echo "$TOPIC_MAP" | while read -r service _; do
  [ -z "$service" ] || password_of "$service" >/dev/null
done
password_of "$EXPORTER" >/dev/null

scram_user() { # scram_user <name>: create the user, or set its password (from <NAME>_KAFKA_PASSWORD)
  password="$(password_of "$1")"
  "$TOOLS_BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --alter \
    --entity-type users --entity-name "$1" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]" >/dev/null
}

echo "$TOPIC_MAP" | while read -r service writes reads; do
  [ -n "$service" ] || continue
  scram_user "$service"
  if [ "$writes" != - ]; then
    acl "$service" --operation Write --operation Describe --topic "$writes"
  fi
  acl "$service" --operation Write --operation Read --operation Describe --topic "$DLQ"
  for topic in $(echo "$reads" | tr ',' ' '); do
    acl "$service" --operation Read --operation Describe --topic "$topic"
  done
  acl "$service" --operation Read --operation Describe --group "caseflow-$service"
  own="$writes, "
  [ "$writes" != - ] || own=""
  echo "acls.sh: User:$service writes ${own}$DLQ; reads $reads, $DLQ; group caseflow-$service"
done

scram_user "$EXPORTER"
groups=""
for topic in $(echo "$TOPIC_MAP" | awk 'NF { print $2 }' | grep -v '^-$') "$DLQ"; do
  acl "$EXPORTER" --operation Describe --topic "$topic"
done
for service in $(echo "$TOPIC_MAP" | awk 'NF { print $1 }'); do
  acl "$EXPORTER" --operation Describe --group "caseflow-$service"
  groups="$groups caseflow-$service"
done
echo "acls.sh: User:$EXPORTER describes the caseflow topics and the groups$groups"

"$TOOLS_BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" --list
