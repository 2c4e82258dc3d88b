# Two commands: `make run` (install, migrate, regions, demo, serve) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install run test lint testdata worker clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/ektp migrate --noinput -v0
	$(BIN)/ektp regions load
	$(BIN)/ektp demo
	$(BIN)/ektp serve

worker: install
	$(BIN)/ektp worker

testdata:
	scripts/fetch_test_faces.sh

lint: install
	$(BIN)/ruff check src tests scripts conftest.py

# The suite runs on SQLite; when DATABASE_URL names a PostgreSQL server it runs there too.
test: install testdata lint
	env -u DATABASE_URL $(BIN)/pytest
	@if [ -n "$$DATABASE_URL" ]; then echo "== again on $$DATABASE_URL"; $(BIN)/pytest; fi

clean:
	rm -rf $(VENV) var .cache .pytest_cache
