# Sourced (POSIX sh) by the broker's health check, the topic creator and acls.sh: the client settings of the admin
# principal (User:admin, a super user), written to $ADMIN_CONFIG for the kafka-*.sh tools' --command-config.
#
#   SCRAM_ADMIN_PASSWORD     the admin's SCRAM-SHA-512 password (KAFKA_ADMIN_PASSWORD in deploy/.env)
#   ADMIN_SECURITY_PROTOCOL  SASL_PLAINTEXT (default) or SASL_SSL (docker-compose.tls.yml)
#   ADMIN_SSL_CAFILE         with SASL_SSL: PEM file of the CA that signed the broker's certificate
#   BOOTSTRAP                the broker (default kafka:9092)
#
# The file is written afresh each time (a rotated password is picked up), readable by its owner only.
: "${SCRAM_ADMIN_PASSWORD:?SCRAM_ADMIN_PASSWORD is not set (KAFKA_ADMIN_PASSWORD in deploy/.env)}"
TOOLS_BIN="${TOOLS_BIN:-/opt/kafka/bin}"
BOOTSTRAP="${BOOTSTRAP:-kafka:9092}"
ADMIN_CONFIG="${ADMIN_CONFIG:-/tmp/caseflow-admin.properties}"
ADMIN_SECURITY_PROTOCOL="${ADMIN_SECURITY_PROTOCOL:-SASL_PLAINTEXT}"

(
  umask 077
  {
    echo "security.protocol=$ADMIN_SECURITY_PROTOCOL"
    echo "sasl.mechanism=SCRAM-SHA-512"
    echo "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$SCRAM_ADMIN_PASSWORD\";"
    if [ "$ADMIN_SECURITY_PROTOCOL" = SASL_SSL ]; then
      echo "ssl.truststore.type=PEM"
      echo "ssl.truststore.location=${ADMIN_SSL_CAFILE:?ADMIN_SSL_CAFILE is not set (SASL_SSL needs the CA file)}"
    fi
  } > "$ADMIN_CONFIG"
)
