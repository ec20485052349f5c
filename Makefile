# The two set-up commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-all install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## demo: create .venv, install, run the main job on its embedded data and print its metrics
demo: $(STAMP)
	$(BIN)/multis2s run configs/demo.yaml -o runs/demo

## test: the fast test suite (slow tests excluded)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## test-all: every test, slow ones included
test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m ''

clean:
	rm -rf runs
