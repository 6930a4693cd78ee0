# treeform: `make generate` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# checkov pins a fork of python-hcl2 that installs as `hcl2` and would replace ours, so it
# lives in a virtual environment of its own and the tests run it as a program.
CHECKOV_VERSION := 3.3.30
# Kapitan, the Python peer the benchmark compares against, also in an environment of its own.
KAPITAN_VENV := bench/.venv-kapitan
KAPITAN_VERSION := 0.36.3

.DEFAULT_GOAL := help
.PHONY: help install pyc generate test lint snapshots bench checkov fuzz clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install treeform with its test tools

$(CHECKOV_STAMP): Makefile
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	touch $(CHECKOV_STAMP)

checkov: $(CHECKOV_STAMP) ## Install checkov into a virtual environment of its own

# Byte-compile treeform's own modules: an editable install leaves that to the first import,
# which skips it where PYTHONDONTWRITEBYTECODE is set (then every run compiles them again).
pyc: $(STAMP)
	$(BIN)/python -m compileall -q generator

generate: $(STAMP) pyc ## Render examples/ into output/
	$(BIN)/treeform generate examples -o output

test: $(STAMP) $(CHECKOV_STAMP) lint ## Run the whole test suite
	$(BIN)/python -m pytest -q

lint: $(STAMP) ## ruff and mypy (strict on generator/, the package treeform)
	$(BIN)/ruff check generator tests bench
	$(BIN)/ruff format --check generator tests bench
	mkdir -p build/mypy && ln -sfn ../../generator build/mypy/treeform
	$(BIN)/mypy

snapshots: $(STAMP) ## Rewrite the snapshots (read the diff before you commit it)
	$(BIN)/python -m pytest -q --snapshot-update

fuzz: $(STAMP) ## Long property runs: random valid and broken models of every engine
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_fuzz.py

$(KAPITAN_VENV)/.installed: Makefile
	test -x $(KAPITAN_VENV)/bin/python || $(PYTHON) -m venv $(KAPITAN_VENV)
	$(KAPITAN_VENV)/bin/python -m pip install --quiet 'kapitan==$(KAPITAN_VERSION)'
	touch $@

bench: $(STAMP) pyc $(KAPITAN_VENV)/.installed ## Run the benchmarks and write bench/RESULTS.md
	$(BIN)/python bench/run.py

clean: ## Remove the virtual environments and caches
	rm -rf $(VENV) $(CHECKOV_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
