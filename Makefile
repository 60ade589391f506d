# SafeRound: the README's two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export SAFEROUND_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint fix app bench venv lock deps-system deps-run-system deps-test clean

# Installs come from the lock files (exact versions, resolved by `make lock`), then the project itself.
UV_VERSION := 0.13.9
LOCK_TARGET := --python-version 3.11 --python-platform x86_64-unknown-linux-gnu
LOCK_ARGS ?=

$(PY):
	@# Debian's python3 makes virtual environments only with python3-venv installed.
	$(PYTHON) -m venv $(VENV) 2>/dev/null || { [ "$$(id -u)" = 0 ] && rm -rf $(VENV) && apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.server-installed: $(PY) requirements.lock pyproject.toml
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

venv: $(VENV)/.server-installed

## lock: resolve requirements.lock (server) and requirements-dev.lock (+ dev, mobile) from pyproject.toml
# Pins that still fit are kept; `make lock LOCK_ARGS=--upgrade` moves everything to the newest versions.
lock: $(PY)
	$(PY) -m pip install -q uv==$(UV_VERSION)
	$(VENV)/bin/uv pip compile -q pyproject.toml $(LOCK_TARGET) $(LOCK_ARGS) \
	  --custom-compile-command "make lock" -o requirements.lock
	$(VENV)/bin/uv pip compile -q pyproject.toml --extra dev --extra mobile -c requirements.lock $(LOCK_TARGET) \
	  $(LOCK_ARGS) --custom-compile-command "make lock" -o requirements-dev.lock

## run: install, migrate, seed demo data on first run, serve on 127.0.0.1:8000
run: venv deps-run-system
	$(VENV)/bin/saferound init-db
	$(VENV)/bin/saferound seed-demo
	$(VENV)/bin/saferound serve --host 127.0.0.1 --port 8000

# The server prints notices in Chinese: it needs a CJK font (installed when run as root).
deps-run-system:
	@dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; \
	  else echo "Note: install fonts-wqy-microhei (as root) so rectification notices can be printed."; fi; }

# System packages the tests need (PostgreSQL server, CJK font, cairo for KivyMD, poppler for PDF pages).
APT_PACKAGES := postgresql fonts-wqy-microhei libcairo2-dev pkg-config poppler-utils libgl1 libegl1 libmtdev1 chromium
deps-system:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Missing system packages (install them as root): $$missing"; exit 1; fi; \
	fi

$(VENV)/.test-installed: $(VENV)/.server-installed requirements-dev.lock
	$(PY) -m pip install -q -r requirements-dev.lock
	touch $@

deps-test: deps-system $(VENV)/.test-installed

## test: install what the tests need (apt packages too, as root) and run the whole suite
# The UI tests run in a process of their own (Kivy's window is one per process). A run that selects
# nothing in one part (exit 5, e.g. with PYTEST_ARGS="-k hazards") is fine; a hang fails, bounded.
test: deps-test lint
	@timeout 1500 $(PY) -m pytest --ignore=tests/ui --ignore=tests/web $(PYTEST_ARGS); s=$$?; [ $$s = 0 ] || [ $$s = 5 ] || exit $$s
	@# Each phone-UI module gets a process of its own: Kivy's window is one per process.
	@for module in tests/ui/test_*.py; do \
	  timeout 900 $(PY) -m pytest $$module $(PYTEST_ARGS); s=$$?; [ $$s = 0 ] || [ $$s = 5 ] || exit $$s; \
	done
	@# The console in Debian's chromium (apt), driven by Playwright; screenshots go to test-artifacts/console/.
	@timeout 600 $(PY) -m pytest tests/web $(PYTEST_ARGS); s=$$?; [ $$s = 0 ] || [ $$s = 5 ] || exit $$s

## lint: ruff's checks and its formatting (configured in pyproject.toml); `make fix` applies both
lint: deps-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fix: deps-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## app: the phone app on the desktop, against the server from `make run`
app: deps-test
	$(PY) -m mobile

## bench: benchmarks (each prints its figures and the ratio it is judged by)
bench: deps-test
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) var test-artifacts
