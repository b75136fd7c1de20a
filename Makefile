# cookiecutter-ai-service: the template's own commands.
#   make test   installs what it needs (uv, the template's dev tools) and runs the whole test suite
#   make demo   generates the all-pillars project into build/demo/ and runs its install, test, demo
.DEFAULT_GOAL := help
SHELL := bash

# uv from PATH when it works, otherwise the module that `make install` puts next to python3.
UV = $(shell uv --version >/dev/null 2>&1 && echo uv || echo python3 -m uv)
PYTEST_WORKERS ?= 2
DEMO_DIR := build/demo
DEMO_PROJECT := $(DEMO_DIR)/my-ai-service

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export BENTOML_DO_NOT_TRACK := true
export MLFLOW_DISABLE_TELEMETRY := true

.PHONY: help system-deps install lint test test-fast demo bench clean

# Debian packages the tests run for real: redis-server (the serving rate limiter's Redis backend),
# promtool (from `prometheus`; checks the generated alert rules) and chromium (the generated
# projects' playground browser tests). Installed only when missing.
SYSTEM_TOOLS := redis-server promtool chromium
SYSTEM_PACKAGES := redis-server prometheus chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

help:  ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

system-deps:  ## Install the Debian packages the tests use (redis-server, promtool, chromium) when missing
	@missing=0; for tool in $(SYSTEM_TOOLS); do command -v $$tool >/dev/null || missing=1; done; \
	if [ $$missing = 1 ]; then \
	  if command -v apt-get >/dev/null; then \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	  else echo "install $(SYSTEM_PACKAGES) with your package manager (tests that need them skip)"; fi; \
	fi

install: system-deps  ## Install uv if missing, then the template's dev tools (uv sync)
	@uv --version >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --quiet

lint: install  ## ruff over the template's own code (hooks, tests, benchmarks)
	$(UV) run ruff check hooks tests benchmarks template_extensions.py
	$(UV) run ruff format --check hooks tests benchmarks template_extensions.py

test: lint  ## The whole template test suite (every combination, both engines, generated projects)
	$(UV) run pytest -n $(PYTEST_WORKERS) --dist loadgroup

test-fast: install  ## Everything except the slow generated-project runs
	$(UV) run pytest -n $(PYTEST_WORKERS) -m "not slow"

demo: install  ## Generate the all-pillars project into build/demo/ and run its install, test and demo
	rm -rf $(DEMO_DIR)
	$(UV) run cookiecutter --no-input --output-dir $(DEMO_DIR) .
	$(MAKE) -C $(DEMO_PROJECT) install test demo

BENCHMARKS := run ml_train ml_defaults llm_bench rag_bench agents_bench serving_bench

bench: install  ## Every benchmark (template + one per pillar), each writing its section of docs/performance.md
	@for script in $(BENCHMARKS); do echo "== benchmarks/$$script.py"; $(UV) run python benchmarks/$$script.py || exit 1; done

clean:  ## Remove build outputs and caches
	rm -rf build .pytest_cache .ruff_cache .mypy_cache
