# mpesa-agent developer tasks. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BOOTSTRAP := tests/tools/bootstrap.sh
PYTEST_ARGS ?=

.PHONY: help bootstrap demo test test-unit check lint types bench clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

bootstrap: ## Install what the tests need (system packages as root on Debian, .venv); quiet when done
	@bash $(BOOTSTRAP) all

demo: ## Run the whole job against the built-in sandbox portal and shop (headless, nothing left behind)
	@bash $(BOOTSTRAP) demo
	@$(VENV)/bin/mpesa-agent demo

test: bootstrap ## Run every test tier on real components (Chromium, Secret Service, WordPress)
	@bash tests/tools/run-tests.sh $(PYTEST_ARGS)

test-unit: ## Run only the fast unit tier (needs no Chromium, D-Bus or keyring daemon)
	@bash $(BOOTSTRAP) unit
	@$(PY) -m pytest -m unit -q $(PYTEST_ARGS)

lint: bootstrap ## ruff check + ruff format --check
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

types: bootstrap ## mypy --strict on agent and wp_bridge
	@$(VENV)/bin/mypy

check: lint types test ## Lint, types and the full test suite

bench: bootstrap ## Benchmark: CLI cold start and the demo's phases (medians, with figures)
	@$(PY) tests/bench/bench.py

clean: ## Remove the virtualenv and build/test leftovers
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
