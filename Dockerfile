# syntax=docker/dockerfile:1
# Switchboard's image: a builder stage makes a virtual environment from the project's wheel,
# the final stage copies only that environment onto python slim (no compilers, no pip cache)
# and runs it as a non-root user. See docs/deploy.md.

ARG PYTHON_VERSION=3.12

FROM python:${PYTHON_VERSION}-slim AS builder
# Extras baked into the image: the model providers and OpenTelemetry export.
ARG EXTRAS=openai,anthropic,otel
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY agents ./agents
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY sandbox ./sandbox
RUN python -m venv /opt/switchboard \
 && /opt/switchboard/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/switchboard/bin/pip install "$(ls /wheels/switchboard-*.whl)[${EXTRAS}]" \
 && /opt/switchboard/bin/pip uninstall -y pip

FROM python:${PYTHON_VERSION}-slim AS runtime
ENV PATH=/opt/switchboard/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SWITCHBOARD_LOG_FORMAT=json \
    DATABASE_URL=sqlite:////data/switchboard.db \
    SWITCHBOARD_PORT=3000
RUN groupadd --system --gid 10001 switchboard \
 && useradd --system --uid 10001 --gid switchboard --home-dir /data --shell /usr/sbin/nologin switchboard \
 && mkdir -p /data /config \
 && chown switchboard:switchboard /data
COPY --from=builder /opt/switchboard /opt/switchboard
WORKDIR /data
# /data: the SQLite database (unused with PostgreSQL); /config: switchboard.yaml, read-only.
VOLUME ["/data"]
USER 10001:10001
EXPOSE 3000
# A graceful stop: stop taking requests, let running turns finish (bounded), close.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('SWITCHBOARD_PORT', '3000'), timeout=4).status == 200 else 1)"]
ENTRYPOINT ["switchboard"]
CMD ["run", "--host", "0.0.0.0", "--port", "3000"]
