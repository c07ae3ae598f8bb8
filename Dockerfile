# syntax=docker/dockerfile:1
# One image for the four caseflow services; the command picks the service: `python -m intake` (or dispatch,
# escalation, audit), and `python -m <service> migrate` runs that service's Alembic migrations (the prestart step).

# Pinned by tag; bump deliberately (and rebuild) to take Debian and CPython security fixes.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# Every version comes from constraints.txt (the one place pins live); the build stage's toolchain stays behind.
COPY constraints.txt ./
RUN python -m venv /opt/caseflow \
 && /opt/caseflow/bin/pip install -q --upgrade pip setuptools wheel
COPY libs/common libs/common
COPY services services
RUN /opt/caseflow/bin/pip install -q -c constraints.txt \
      ./libs/common ./services/intake ./services/dispatch ./services/escalation ./services/audit

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/caseflow/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CASEFLOW_ENV=prod \
    CASEFLOW_HTTP_HOST=0.0.0.0 \
    CASEFLOW_DATA_DIR=/app/data/demo
RUN groupadd --system --gid 10001 caseflow \
 && useradd --system --uid 10001 --gid caseflow --home-dir /app --no-create-home --shell /usr/sbin/nologin caseflow
COPY --from=build /opt/caseflow /opt/caseflow
WORKDIR /app
# The demo directory is a default only; deployments mount their city's directory and set CASEFLOW_DATA_DIR.
COPY data/demo /app/data/demo
USER 10001:10001
# intake 8001, dispatch 8002, escalation 8003, audit 8004 (each service's default CASEFLOW_HTTP_PORT).
EXPOSE 8001 8002 8003 8004
# Liveness only (the process answers); compose probes /readyz (database and broker reachable) on top.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CASEFLOW_HTTP_PORT', '8001'), timeout=2)"]
CMD ["python", "-m", "intake"]
