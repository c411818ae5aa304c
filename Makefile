# The two commands a newcomer needs:  `make demo`  and  `make test`.
# Both build what they need on a fresh machine, hash-locked: .venv/.emulator (runtime + the emulator's own
# requirements: enough for `make demo`), .venv/.installed (that + test tools) and .venv/azcli (the real Azure CLI, kept
# apart because it pins an older azure-mgmt-resource). The image installs requirements/runtime.txt only.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
AZ_VENV := $(VENV)/azcli
PIP_LOCKED := -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps

.PHONY: demo test lint typecheck format pytest lock clean bench

$(VENV)/.emulator: requirements/runtime.txt requirements/emulator.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) $(PIP_LOCKED) -r requirements/runtime.txt -r requirements/emulator.txt
	touch $@

$(VENV)/.installed: $(VENV)/.emulator requirements/test.txt
	$(PY) $(PIP_LOCKED) -r requirements/runtime.txt -r requirements/emulator.txt -r requirements/test.txt
	touch $@

$(AZ_VENV)/.installed: requirements/azcli.txt
	$(PYTHON) -m venv $(AZ_VENV)
	$(AZ_VENV)/bin/python $(PIP_LOCKED) -r requirements/azcli.txt
	touch $@

## demo: plan -> approve -> apply against the embedded Azure emulator (sample scenario)
demo: $(VENV)/.emulator
	$(PY) -m amlmove_emulator.demo $(DEMO_ARGS)

## test: static checks, then the whole test suite (real SDKs and the real az CLI against the emulator)
test: $(VENV)/.installed $(AZ_VENV)/.installed lint typecheck pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m tests.support.static_checks

## typecheck: mypy, strict on amlmove_action/ (configured in pyproject.toml; part of `make test`)
typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

## format: rewrite the code in the house format and apply ruff's safe fixes (`make lint` only checks)
format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Mermaid's own parser (pinned by tests/support/mermaid/package-lock.json) reads every picture amlmove draws
# (tests/support/test_mermaid_parser.py); installed where npm is, skipped with its reason where it is not.
MERMAID := $(if $(shell command -v npm 2>/dev/null),tests/support/mermaid/node_modules/.installed)
pytest: $(VENV)/.installed $(AZ_VENV)/.installed $(MERMAID)
	$(PY) -m pytest $(PYTEST_ARGS)

tests/support/mermaid/node_modules/.installed: tests/support/mermaid/package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error --prefix tests/support/mermaid
	touch $@

## bench: plan and apply of a large workspace against the emulator (0 and 50 ms latency), side by side with the az
## CLI; prints a table and writes benchmarks/results.json (a few minutes; not part of `make test`)
bench: $(VENV)/.installed $(AZ_VENV)/.installed
	$(PY) -m benchmarks.run $(BENCH_ARGS)

## lock: re-resolve the hash-locked requirement files (needs network to the package index), with a pinned uv
UV_VERSION := 0.13.9
UV := $(VENV)/uv/bin/uv
lock:
	$(PYTHON) -m venv $(VENV)/uv
	$(VENV)/uv/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip compile --python 3.11 --generate-hashes -q requirements/runtime.in --no-emit-package pygithub --no-emit-package pynacl -o requirements/runtime.txt
	$(UV) pip compile --python 3.11 --generate-hashes -q requirements/emulator.in -o requirements/emulator.txt
	$(UV) pip compile --python 3.11 --generate-hashes -q requirements/test.in -o requirements/test.txt
	$(UV) pip compile --python 3.11 --generate-hashes -q requirements/azcli.in -o requirements/azcli.txt

clean:
	rm -rf $(VENV) amlmove-output .pytest_cache .ruff_cache .mypy_cache .hypothesis

## fuzz: the full property-based fuzz run (≥ 10,000 generated cases; `make test` runs a reduced count)
.PHONY: fuzz
fuzz: $(VENV)/.installed
	AMLMOVE_FUZZ_EXAMPLES=10000 $(PY) -m pytest tests/e2e/test_fuzz.py
