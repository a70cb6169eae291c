# The front door: `make run` starts the whole system, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := -e shared -e devtools -e services/gateway -e services/matching -e services/events -e services/notifications
STAMP := $(VENV)/.installed
# uv installs the pinned packages: the same set pip resolves (constraints.txt), in 16 s where
# pip took 55 (it downloads and unpacks in parallel, and compiles no bytecode up front).
UV := uv==0.13.9
# Test files run on this many processes (pytest-xdist, a file's tests together): the suite
# waits on brokers, databases and browsers as much as it computes. On 2 cores, 3 took the
# suite from 686 s to 586 s (the pytest processes busy 129% then 153% of a core).
TEST_WORKERS ?= 3

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): constraints.txt requirements-dev.txt shared/pyproject.toml devtools/pyproject.toml services/*/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(UV)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt $(PACKAGES) -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) ## create .venv and install every package (done by run and test)

run: $(STAMP) ## migrate every database and start every process (Ctrl-C stops all)
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/run

test: $(STAMP) lint chromium ## lint, then run the whole test suite (unit, integration, end-to-end, browser)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

chromium: ## install Debian's Chromium for the browser tests, when it is missing
	@[ -x /usr/bin/chromium ] || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium; }

unit: $(STAMP) ## run only the tests that need no broker or database server
	$(BIN)/python -m pytest -m "not integration and not e2e"

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP) ## run the benchmarks and write their figures into docs/benchmarks.md
	$(BIN)/python -m bench

chaos: $(STAMP) ## the sustained and fault trials under load, on servers of their own (about 35 minutes; docs/reliability.md)
	$(BIN)/python -m chaos $(TRIALS)

audit: $(STAMP) ## every pinned package against the advisories PyPI carries (docs/security.md)
	$(BIN)/python -m sanctuary_dev.audit constraints.txt

parked: $(STAMP) ## list parked messages of every service
	@for s in matching events notifications; do $(BIN)/python -m $$s parked list; done

status: $(STAMP) ## queue depths and outbox lag of every service, one JSON line each
	@for s in gateway matching events notifications; do $(BIN)/python -m $$s status; done

clean: ## remove the virtual environment and local data
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

.PHONY: help install run test chromium unit lint bench chaos audit parked status clean
