# The two set-up commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_SIZE := data.dataset.train_size=1500 data.dataset.dev_size=100 data.dataset.test_size=300 \
	model.encoder.hidden_dim=128 train.max_steps=600 train.validate_every=300 train.validation_examples=100

.PHONY: demo test test-all bench bench-quick install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[all,dev]'
	$(BIN)/python -m multis2s.model.native || echo "some compiled kernels were not built: their Python versions will be used"
	touch $(STAMP)

install: $(STAMP)

## demo: create .venv, install, run the main job (speech-to-text) at a small size and print its metrics
demo: $(STAMP)
	rm -rf runs/demo
	$(BIN)/multis2s run configs/asr.yaml -o runs/demo $(DEMO_SIZE)
	@echo
	@echo "Demo size. The full-size run: $(BIN)/multis2s run configs/asr.yaml"

## test: the fast test suite (slow tests excluded)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## test-all: every test, slow ones included
test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m ''

## bench: the reference toolkits in their own venvs (bench/out/toolkits), then multis2s beside them, alternating (about an hour here once installed: 1 h 2 min on 2026-12-07)
bench: $(STAMP)
	bench/toolkits/setup.sh onmt eole joeynmt speechbrain
	$(BIN)/python bench/side_by_side.py --toolkits onmt,eole,joeynmt --fast-path --threads 1,2 --rounds 2
	$(BIN)/python bench/speech_side_by_side.py --size demo --threads 1,2

## bench-quick: multis2s alone on the anchor task (2 threads)
bench-quick: $(STAMP)
	$(BIN)/python bench/anchor_reverse.py --threads 2

clean:
	rm -rf runs
