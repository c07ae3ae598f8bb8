"""Where personal data could end up, read back raw: topics, logs, /metrics, database files and HTTP responses.

Used by the PII scan (test_e2e_personal_data.py). Each reader returns (where, bytes) pairs; ``leaks`` names every
place that holds any of the needles.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from caseflow_common.logging import QUIET_LOGGERS, JsonFormatter
from caseflow_common.testing import topic_reader


def needles(values: Iterable[str]) -> dict[str, list[bytes]]:
    """Each secret value and the spellings it could hide in: UTF-8 as given, and JSON's \\uXXXX escapes."""
    out: dict[str, list[bytes]] = {}
    for value in values:
        escaped = "".join(c if c.isascii() else f"\\u{ord(c):04x}" for c in value)
        out[value] = sorted({value.encode(), escaped.encode(), escaped.upper().replace("\\U", "\\u").encode()})
    return out


def leaks(found: Iterable[tuple[str, bytes]], secrets: dict[str, list[bytes]]) -> list[str]:
    """'where: value' for every place holding any spelling of any secret value."""
    hits = []
    for where, blob in found:
        for value, spellings in secrets.items():
            if any(s in blob for s in spellings):
                hits.append(f"{where}: {value}")
    return sorted(set(hits))


class Captured(logging.Handler):
    """Every log record of the services, formatted as the services' JSON lines are."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(JsonFormatter("under-test"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def captured_logs() -> Iterator[Captured]:
    """The root logger as the services configure it (INFO, the same quiet libraries), into a list."""
    root = logging.getLogger()
    handler = Captured()
    saved = root.level, {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)


async def topic_messages(
    broker: str, topic_names: list[str], *, idle_polls: int = 6, max_polls: int = 200
) -> list[tuple[str, bytes]]:
    """Every message (key, headers and value) of the topics from the beginning, read by a plain consumer."""
    consumer = topic_reader(broker, *topic_names)
    await consumer.start()
    out: list[tuple[str, bytes]] = []
    try:
        idle = 0
        for _ in range(max_polls):
            batch = await consumer.getmany(timeout_ms=300)
            msgs = [m for part in batch.values() for m in part]
            idle = 0 if msgs else idle + 1
            for m in msgs:
                heads = dict(m.headers or ())
                where = f"{m.topic}@{m.partition}:{m.offset} {heads.get('event_type', b'?').decode()}"
                out.append((where, (m.key or b"") + b"|" + b"|".join(heads.values()) + b"|" + (m.value or b"")))
            if idle >= idle_polls and out:
                break
    finally:
        await consumer.stop()
    return out


def sqlite_files(url: str) -> list[tuple[str, bytes]]:
    """The raw bytes of a SQLite database and its write-ahead log and journal, whichever exist."""
    path = Path(str(make_url(url).database))
    return [(f"{p.name}", p.read_bytes()) for p in sorted(path.parent.glob(path.name + "*")) if p.is_file()]


async def postgres_rows(url: str) -> list[tuple[str, bytes]]:
    """Every row of every table of a PostgreSQL database, each rendered as text (all columns, whatever their type)."""
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        out = []
        for t in tables:
            name = f'"{t["table_schema"]}"."{t["table_name"]}"'
            rows = await conn.fetch(f"SELECT t::text AS row FROM {name} t")
            out.append((f"{make_url(url).database}.{t['table_name']}", "\n".join(r["row"] for r in rows).encode()))
        return out
    finally:
        await conn.close()


def get_routes(openapi: dict[str, Any]) -> list[str]:
    """Every GET path of a service's OpenAPI document that answers JSON or text (not a never-ending stream)."""
    paths = []
    for path, ops in openapi["paths"].items():
        op = ops.get("get")
        if op is None:
            continue
        content = op.get("responses", {}).get("200", {}).get("content", {})
        if "text/event-stream" in content:
            continue
        paths.append(path)
    return sorted(paths)


def expand(path: str, values: dict[str, list[str]]) -> list[str]:
    """The path with each {parameter} replaced by every known value of it (none when a parameter is unknown)."""
    out = [path]
    while out and "{" in out[0]:
        head = out[0]
        param = head[head.index("{") + 1 : head.index("}")]
        if param not in values:
            return []
        out = [p.replace("{" + param + "}", v, 1) for p in out for v in values[param]]
    return out


async def responses(
    client: httpx.AsyncClient, paths: list[str], callers: dict[str, dict[str, str]], params: dict[str, str]
) -> list[tuple[str, int, bytes]]:
    """(caller path, status, body) of every path for every caller."""
    out = []
    for path in paths:
        for who, headers in callers.items():
            r = await client.get(path, headers=headers, params=params)
            out.append((f"{who} GET {path}", r.status_code, r.content))
    return out
