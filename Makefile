# Two commands: `make run` (install, migrate, regions, demo, serve) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install run test lint testdata chromium screenshots messages compile-messages worker clean

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

# Debian's Chromium for the browser tests (and gettext for the translations), when root.
chromium:
	scripts/ensure_chromium.sh

# Retake the screenshots in docs/screenshots (the browser tests take them on the way).
screenshots: install chromium
	EKTP_SCREENSHOT_DIR=docs/screenshots $(BIN)/pytest -q src/ektp/tests_browser

# After changing a user-facing string: refresh the English catalogue, translate, compile.
messages: install
	cd src/ektp && ../../$(BIN)/ektp makemessages -l en --no-location --ignore "*/tests/*" \
		--ignore "tests_browser/*" --ignore "*/migrations/*" --ignore "dedup/engine/*"
	@echo "translate the empty msgstr in src/ektp/locale/en/LC_MESSAGES/django.po, then: make compile-messages"

compile-messages: install
	cd src/ektp && ../../$(BIN)/ektp compilemessages

lint: install
	$(BIN)/ruff check src tests scripts conftest.py

# The suite runs on SQLite; when DATABASE_URL names a PostgreSQL server it runs there too.
test: install testdata chromium lint
	env -u DATABASE_URL $(BIN)/pytest
	@if [ -n "$$DATABASE_URL" ]; then echo "== again on $$DATABASE_URL"; $(BIN)/pytest -m "not once"; fi

clean:
	rm -rf $(VENV) var .cache .pytest_cache
