# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test venv schema golden bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## Validate (and later render and reconcile) the bundled platform, no cluster needed.
demo: $(STAMP)
	$(BIN)/platformctl demo

## The whole test suite: type check, layer contracts, tests.
test: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2

## Regenerate the JSON Schemas under schemas/.
schema: $(STAMP)
	$(BIN)/platformctl schema

bench: $(STAMP)
	$(BIN)/python bench/validate_bench.py

clean:
	rm -rf $(VENV) build *.egg-info
