"""Kafka plumbing: outbox + relay, idempotent consumer with dead-letter topic, topic administration."""
