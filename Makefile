# Two commands on a fresh machine with Python 3.11 and make:
#   make demo   set up .venv, install, run the main job on the built-in network
#   make test   set up .venv, install, run ruff, mypy and the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,ray]'
	touch $(STAMP)

# The package's bytecode, written ahead (an editable install writes none, and with
# PYTHONDONTWRITEBYTECODE set every command would compile ~200 modules again: 70 ms of
# each command's start-up). Only changed files are compiled again.
install: $(STAMP)
	$(BIN)/python -m compileall -q src > /dev/null

demo: install
	$(BIN)/chipstress demo

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

# The suite also needs a PostgreSQL server and Chromium: scripts/services.sh installs
# (as root, with apt) and starts them, and writes their addresses to .services.env.
test: lint
	./scripts/services.sh > .services.env
	set -a && . ./.services.env && set +a && $(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info .pytest_cache .ruff_cache
