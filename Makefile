# pointspermis — every task a newcomer needs. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
NODE_DIR := tools/node
APT_PACKAGES := chromium wrk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils postgresql-15 postgresql-client-15
HOST ?= 127.0.0.1
PORT ?= 8000
DB ?= sqlite

.DEFAULT_GOAL := help
.PHONY: help install install-system install-python install-node run test test-fast bench migrate demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

install: install-system install-python install-node ## install everything (system packages, Python venv, Node tools), pinned

install-system: ## Debian packages: Chromium (browser tests), wrk (bench), Pango (PDF)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

install-python: $(VENV)/.installed ## Python virtual environment from requirements.lock
	@# Bytecode for our own modules, even where PYTHONDONTWRITEBYTECODE is set (as on the machines we
	@# measure on): every command then starts ~0.1 s sooner (26 modules not compiled at each start).
	@$(PY) -m compileall -q backend

$(NODE_DIR)/node_modules/.installed: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

install-node: $(NODE_DIR)/node_modules/.installed ## Node tools: OpenID test provider, axe-core, Lighthouse

run: install ## serve on http://127.0.0.1:8000 with demo data, a local OpenID provider and a mail inbox (DB=postgres: on a local PostgreSQL)
	@DB=$(DB) bash tools/dev/run.sh

test: install ## every test, browser tests included
	$(VENV)/bin/pytest

test-fast: install-python ## tests without the browser
	$(VENV)/bin/pytest -m "not browser"

bench: install ## benchmarks: engine, import, web, statement, accounts, a 10-minute soak (prints figures)
	@bash tools/bench/run.sh

migrate: install-python ## apply database migrations
	$(VENV)/bin/pointspermis migrate

clean: ## remove the virtual environment, Node tools and local data
	rm -rf $(VENV) $(NODE_DIR)/node_modules var build
