# Two commands for a newcomer: `make run` and `make test`. Everything installs from uv.lock.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.9.30
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
PROTO_SRC := $(shell find protos/vertice360 -name '*.proto' | sort)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help install console-assets browser run test test-fast lint fmt proto proto-check bench chaos clean

help:
	@echo "make run    start the whole stack (embedded Postgres/Redis unless DATABASE_URL/REDIS_URL are set)"
	@echo "make test   run the test suite"
	@echo "make lint   ruff;  make proto  regenerate gRPC code;  make bench  benchmarks"
	@echo "make chaos  kill and restart every part under load; fails on any lost or doubled message or reply"
	@echo "make console-assets / make browser  the console's htmx from npm / Debian's Chromium for its tests"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.installed: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.installed

# The console's browser assets (htmx and its SSE extension) from the npm registry, as console/package-lock.json
# pins them; served from console/node_modules (no CDN). npm comes from Debian when it is missing and we are root.
CONSOLE_ASSETS := console/node_modules/.package-lock.json
$(CONSOLE_ASSETS): console/package.json console/package-lock.json
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; } \
		|| { echo "npm is missing: install Node.js and npm (Debian: apt-get install npm)"; exit 1; }
	npm ci --prefix console --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

console-assets: $(CONSOLE_ASSETS)

# The browser the console's tests drive: Debian's Chromium (installed when missing and we are root).
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
		|| { echo "$(CHROMIUM) is missing: install Debian's chromium package (apt-get install chromium)"; exit 1; }

run: install console-assets
	$(BIN)/v360 up $(ARGS)

test: install console-assets browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

proto: install
	rm -rf protos/gen/vertice360
	mkdir -p protos/gen
	$(BIN)/python -m grpc_tools.protoc -Iprotos \
		--python_out=protos/gen --pyi_out=protos/gen --grpc_python_out=protos/gen $(PROTO_SRC)
	find protos/gen/vertice360 -type d -exec touch {}/__init__.py \;

proto-check: proto
	git diff --exit-code -- protos/gen
	@test -z "$$(git status --porcelain -- protos/gen)" || (git status --porcelain -- protos/gen; exit 1)

bench: install
	$(BIN)/python -m bench $(ARGS)

# Fault injection (docs/chaos.md): its own Postgres and Redis whatever DATABASE_URL says; exit 1 on any loss.
chaos: install
	$(BIN)/python -m bench.chaos $(ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) .v360 .pytest_cache .ruff_cache console/node_modules test-artifacts

# Compose and Kubernetes files on their own (they are part of `make test` too), offline: renders each
# overlay of deploy/kubernetes with tests/deploy/kustomize.py, validates every object against the
# Kubernetes JSON schemas (kubernetes-validate), checks the invariants, and compares the rendering with
# a real kustomize when one is installed (`kustomize`, or `kubectl` >= 1.24; KUSTOMIZE="cmd args" picks
# one). Without one that comparison is skipped and the summary says so.
.PHONY: deploy-check
deploy-check: install
	$(BIN)/python -m pytest tests/deploy -rs $(ARGS)
