# Development tasks. `make help` lists them. Every target creates the virtual environment it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TRIAGE_HOME ?= var
export TRIAGE_HOME

.DEFAULT_GOAL := help
.PHONY: help setup run test lint format data train clean bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## create .venv and install the project with its dev extra

run: $(STAMP) ## set up, generate synthetic data, train a default champion if none, and serve
	$(BIN)/triage quickstart
	$(BIN)/triage serve

test: $(STAMP) ## set up, lint, type-check, and run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP) ## ruff check, format check, and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) ## run every benchmark (about 3 minutes; 4 the first time), write var/bench/results.{json,md}; options: BENCH_ARGS="--database-url URL ..."
	$(BIN)/python -m benchmarks.bench $(BENCH_ARGS)

clean: ## remove the virtual environment and all local state under var/
	rm -rf $(VENV) var .pytest_cache .ruff_cache
