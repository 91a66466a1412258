# Two commands: `make run` (set up and serve) and `make test` (set up and run every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app
export PYTHONPATH := $(CURDIR)

.PHONY: run test venv dev-venv scan-venv migrate seed assets scan bench clean code

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.requirements: requirements.txt | $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.requirements-dev: requirements-dev.txt requirements.txt | $(BIN)/activate
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.requirements

# The scanners pin their own Flask and cryptography: a virtualenv of their own, not the app's.
SCAN_VENV := .venv-scan
$(SCAN_VENV)/.requirements: requirements-scan.txt
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install -q --upgrade pip
	$(SCAN_VENV)/bin/pip install -q -r requirements-scan.txt
	touch $@

venv: $(VENV)/.requirements
dev-venv: $(VENV)/.requirements-dev
scan-venv: $(SCAN_VENV)/.requirements

migrate: venv
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed-demo --if-empty

run: seed
	@echo ""
	@echo "  Strategy Discussion Coordinator: http://127.0.0.1:5000"
	@if [ -n "$$DEMO_PASSWORD" ]; then echo "  Demo users (see README) sign in with the password in DEMO_PASSWORD"; \
	  else echo "  Demo users (see README), e.g. mash@example.org, password: $$(cat instance/demo-password)"; fi
	@echo "  Then the sign-in code: make code EMAIL=mash@example.org (demo users have no phone)"
	@echo "  Ctrl-C stops the web server and the scheduler."
	@echo ""
	$(BIN)/honcho start -f Procfile

# Every test on SQLite; when TEST_DATABASE_URL points at PostgreSQL, every test there too. The two passes run side by
# side (one core each) and share the browser tests between them (BROWSER_SHARE, tests/conftest.py); each prints its
# own report when both are done.
test: dev-venv
	$(BIN)/ruff check -q .
	$(BIN)/bandit -q -c pyproject.toml -r safeguarding app.py config
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== SQLite and PostgreSQL ($$TEST_DATABASE_URL) passes side by side"; \
	  logs=$$(mktemp -d); \
	  ( TEST_DATABASE_URL= BROWSER_SHARE=0,1/3 $(BIN)/pytest -q -p no:cacheprovider >$$logs/sqlite 2>&1; \
	    echo $$? >$$logs/sqlite.rc ) & \
	  ( BROWSER_SHARE=2/3 $(BIN)/pytest -q -p no:cacheprovider >$$logs/postgresql 2>&1; echo $$? >$$logs/postgresql.rc ); \
	  wait; status=0; \
	  for pass in sqlite postgresql; do \
	    echo "== $$pass"; cat $$logs/$$pass; [ "$$(cat $$logs/$$pass.rc)" = 0 ] || status=1; \
	  done; rm -rf $$logs; exit $$status; \
	else \
	  TEST_DATABASE_URL= $(BIN)/pytest -q -p no:cacheprovider || exit 1; \
	  echo "TEST_DATABASE_URL not set: PostgreSQL pass skipped (.ci/run sets it)"; \
	fi

# wapiti3 and sqlmap against the app under gunicorn with demo data on a throwaway SQLite database, signed in as a
# MASH worker (password and code); fails on any finding not in scan/allowlist.json (scan/scan.py says how).
# SCAN_KEEP=DIR keeps the reports and the server log.
scan: venv scan-venv
	$(BIN)/python scan/scan.py --tools $(SCAN_VENV)/bin $(if $(SCAN_KEEP),--keep $(SCAN_KEEP))

# Rebuild static/govuk from govuk-frontend's Sass (needs Node; the output is committed).
assets:
	cd assets && npm install --no-audit --no-fund
	cd assets && npx sass --pkg-importer=node --no-source-map --style=compressed --quiet-deps app.scss ../static/govuk/app.css
	rm -rf static/govuk/assets && cp -r assets/node_modules/govuk-frontend/dist/govuk/assets static/govuk/assets
	rm -rf static/govuk/assets/fonts
	cp assets/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js static/govuk/
	cp assets/node_modules/axe-core/axe.min.js tests/axe.min.js

# The current sign-in code of a demo user (they are enrolled with no phone): make code EMAIL=mash@example.org
code: venv
	@$(BIN)/flask mfa-code $(EMAIL)

clean:
	rm -rf $(VENV) $(SCAN_VENV) instance/safeguarding.sqlite*
