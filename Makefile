# Two commands: `make run` (serve the demo on the embedded default) and `make test` (the whole suite).
# `make test-fast` runs the fast domain tier only, for the edit-test loop.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
export FLASK_APP := app
export PYTHONDONTWRITEBYTECODE := 1
# pytest-xdist workers: one per core, at most 4 (each has its own database and Redis database, see
# tests/support/backends.py). `make test WORKERS=0` runs in one process.
WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ "$$n" -gt 4 ] && n=4; echo $$n)
# The real-parts tier: Chromium, localstripe and the fake Stripe Connect, RQ worker processes, live
# HTTP servers, PostgreSQL races (markers set in tests/support/tiers.py). The fast tier is the rest.
REAL_PARTS := browser or stripe or worker or live or postgres

.PHONY: run test test-fast fuzz client screenshots lint lock translations extract-messages bench bench-web faults clean axe icons

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The venv is installed from the lock files: every package of the tree pinned, each with its hashes
# (pip refuses anything else). requirements*.txt are the human-edited top-level pins; after editing
# them, `make lock` regenerates requirements.lock and requirements-dev.lock (pip-tools, from PyPI).
$(VENV)/.runtime: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.dev: requirements-dev.lock $(VENV)/.runtime
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(VENV)/.dev
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile $(LOCK_FLAGS) -o requirements.lock requirements.txt
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile $(LOCK_FLAGS) -o requirements-dev.lock requirements-dev.txt

# Babel ≥ 2.15 names Simplified Chinese "zh_Hans_CN", so the zh_CN catalog is also compiled under that name.
translations: $(VENV)/.runtime
	$(BIN)/pybabel compile -d translations
	mkdir -p translations/zh_Hans_CN/LC_MESSAGES
	$(BIN)/pybabel compile -l zh_CN -i translations/zh_CN/LC_MESSAGES/messages.po \
		-o translations/zh_Hans_CN/LC_MESSAGES/messages.mo

run: $(VENV)/.runtime translations
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	$(BIN)/python scripts/run.py

# ruff, then the layers as contracts (.importlinter): an upward import fails here, not in review.
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

# pytest's own exit code fails the target, including 5 (no test ran). WITKEY_API_COVERAGE=1: the run also
# fails when an operation of the OpenAPI document got no 2xx answer in any test (tests/support/api_coverage.py).
test: $(VENV)/.dev translations lint
	WITKEY_API_COVERAGE=1 $(BIN)/pytest -n $(WORKERS)

# The fast domain tier: services and HTTP contracts through the test client (no browser, no Stripe
# servers, no worker processes, no live server, no PostgreSQL races): 644 of the 694 tests, about a minute on 2 cores.
test-fast: $(VENV)/.dev translations
	$(BIN)/pytest -n $(WORKERS) -m "not ($(REAL_PARTS))"

# Schemathesis against /api/v1/openapi.json with more examples per operation than the suite's four
# (tests/test_api_fuzz.py: no server error, no undocumented status, responses as documented).
fuzz: $(VENV)/.dev
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-50} $(BIN)/pytest -p no:xdist -p no:cacheprovider tests/test_api_fuzz.py -q

# A full-page screenshot of every page the width/accessibility sweep opens (both widths, both languages,
# every role of the demo) in instance/screenshots/, for people to look at.
screenshots: $(VENV)/.dev translations
	WITKEY_SCREENSHOTS=$(CURDIR)/instance/screenshots $(BIN)/pytest -p no:cacheprovider -n $(WORKERS) tests/test_page_widths.py -q

# The typed Python client of the open API, generated from its OpenAPI document (openapi-python-client).
client: $(VENV)/.dev
	$(BIN)/python scripts/generate_client.py clients/python

# axe-core for the accessibility sweep (tests/support/axe.py, run in tests/test_page_widths.py): the npm
# package at this version, its minified build vendored as tests/assets/axe.min.js (MPL-2.0, licence in
# tests/assets/axe-LICENSE.txt), given to the test browser only, never served by the app. `make axe`
# fetches it again with npm and checks the file's hash (change both lines to upgrade).
AXE_VERSION := 4.14.1
AXE_SHA256  := 29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c
axe:
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null \
	  && tar xzf axe-core-$(AXE_VERSION).tgz && echo "$(AXE_SHA256)  package/axe.min.js" | sha256sum -c - \
	  && cp package/axe.min.js $(CURDIR)/tests/assets/axe.min.js && cp package/LICENSE $(CURDIR)/tests/assets/axe-LICENSE.txt \
	  && rm -rf $$tmp

# The navigation's icons: bootstrap-icons (MIT) from npm at this version, the few the templates draw built into
# one sprite, static/icons.svg (scripts/build_icons.py lists them), served from this site. `make icons`
# fetches the package again, checks its hash and rebuilds the sprite (change both lines to upgrade).
ICONS_VERSION := 1.13.2
ICONS_SHA256  := 7b5960145e1ab14a49a117f96a9e5a54a94fdf07f21e302d9e4f88d73dd19f9c
icons:
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent bootstrap-icons@$(ICONS_VERSION) >/dev/null \
	  && echo "$(ICONS_SHA256)  bootstrap-icons-$(ICONS_VERSION).tgz" | sha256sum -c - && tar xzf bootstrap-icons-$(ICONS_VERSION).tgz \
	  && cd $(CURDIR) && $(PYTHON) scripts/build_icons.py $$tmp/package static/icons.svg \
	  && cp $$tmp/package/LICENSE static/icons-LICENSE.txt && rm -rf $$tmp

# Refresh messages.pot and merge new strings into both catalogs (then translate them). Sorted and
# without source locations, so parallel branches that add strings rarely touch the same lines.
extract-messages: $(VENV)/.runtime
	$(BIN)/pybabel extract --no-location --sort-output -w 100 --ignore-dirs=".venv tests bench migrations" -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
	$(BIN)/pybabel update -N --ignore-obsolete -w 100 -i translations/messages.pot -d translations
	$(BIN)/python scripts/fill_en_catalog.py

bench: $(VENV)/.dev
	$(BIN)/python -m bench

# Hot pages and API under wrk against a bare Flask baseline, same gunicorn and database (bench/web.py; issue 21).
# Needs wrk (apt-get install -y wrk), DATABASE_URL=postgresql://… and REDIS_URL. A larger size and a file for
# the table: `make bench-web BENCH_WEB_ARGS="--scale 100000 --out bench/results/web-$$(date +%F).md"`.
BENCH_WEB_ARGS ?=
bench-web: $(VENV)/.dev translations
	$(BIN)/python -m bench.web $(BENCH_WEB_ARGS)

# The fault campaign (README, "Fault campaign"): its own PostgreSQL and Redis on spare ports, the app
# under load, faults injected one by one, a table of what the checks found. `FAULTS_ARGS=--quick` for CI.
FAULTS_ARGS ?=
faults: $(VENV)/.dev translations
	$(BIN)/python -m faults $(FAULTS_ARGS)

clean:
	rm -rf $(VENV) instance
