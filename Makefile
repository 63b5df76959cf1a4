# dialcrm: `make demo` runs the product on its embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PORT ?= 8000
VENDOR := src/dialcrm/core/static/vendor
# The suite runs against the real stores (override to point elsewhere).
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/test)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/15)

.PHONY: demo test lint bench setup python-deps frontend messages clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/activate

python-deps: $(BIN)/activate

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch node_modules/.package-lock.json

$(VENDOR)/.copied: node_modules/.package-lock.json
	mkdir -p $(VENDOR)/bootstrap $(VENDOR)/htmx $(VENDOR)/alpinejs $(VENDOR)/chartjs $(VENDOR)/jssip
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $(VENDOR)/bootstrap/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/alpinejs/dist/cdn.min.js $(VENDOR)/alpinejs/alpine.min.js
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chartjs/chart.min.js
	# JsSIP ships CommonJS only: bundle it into one browser script exposing window.JsSIP.
	node_modules/.bin/esbuild node_modules/jssip/lib/JsSIP.js --bundle --minify --format=iife \
		--global-name=JsSIP --platform=browser --target=es2020 --log-level=warning \
		--outfile=$(VENDOR)/jssip/jssip.min.js
	touch $@

frontend: $(VENDOR)/.copied

setup: python-deps frontend

demo: setup
	DIALCRM_ENV=demo PORT=$(PORT) $(BIN)/dialcrm demo

lint: python-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	DIALCRM_ENV=test $(BIN)/dialcrm makemigrations --check --dry-run

test: setup lint
	DIALCRM_ENV=test DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest

# The benchmarks (PostgreSQL and Redis must run); each prints its figures and ratios. They take
# a while: each script has options for a smaller run (see its --help).
bench: setup
	$(BIN)/python bench/dialer.py
	$(BIN)/python bench/list_import.py
	$(BIN)/python bench/lead_list.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/desk.py
	$(BIN)/python bench/webhooks.py
	$(BIN)/python bench/wallboard.py
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/profitability.py
	$(BIN)/python bench/quality.py

# Translators: refresh the catalogues after changing texts (needs Debian's gettext).
messages: python-deps
	cd src/dialcrm && DIALCRM_ENV=test ../../$(BIN)/dialcrm makemessages --locale ro --ignore '*/static/vendor/*'
	cd src/dialcrm && DIALCRM_ENV=test ../../$(BIN)/dialcrm compilemessages --locale ro

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
