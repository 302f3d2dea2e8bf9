# The README's quick start: `make demo` and `make test`. Each creates .venv when missing and
# installs what it needs, so each works alone on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
comma  := ,
# extras to install: CI adds spark (EXTRAS=dev,spark) so the Spark parity tests run there
EXTRAS ?= dev
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)-$(subst $(comma),_,$(EXTRAS))
DEMO_DIR ?= demo
DEMO_CUSTOMERS ?= 5000
DEMO_MONTHS ?= 24
DEMO_PORT ?= 8000
# NO_SERVE=1 make demo: stop after the summary instead of serving the demo
NO_SERVE ?=
# make test: pytest workers (pytest-xdist), one per core; TEST_WORKERS=0 runs in this process
TEST_WORKERS ?= auto

.PHONY: demo test install lint bench clean messages

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "churnguard needs Python 3.11 or newer (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# Builds the demo workspace, adds an administrator with a random password (printed once), then
# serves it and prints the address (Ctrl+C stops it); CI runs only `make test`, never this.
demo: $(STAMP)
	$(BIN)/churnguard demo --dir $(DEMO_DIR) --customers $(DEMO_CUSTOMERS) --months $(DEMO_MONTHS) --replace \
	  --admin admin $(if $(filter 1 yes true,$(NO_SERVE)),,--serve --port $(DEMO_PORT))

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache

# Re-extract the messages of code and templates and merge them into the catalogs; then
# translate the new entries in src/churnguard/i18n/locale/zh/LC_MESSAGES/churnguard.po.
messages: $(STAMP)
	mkdir -p build
	PYTHONPATH=src $(BIN)/pybabel extract -F babel.cfg -o build/churnguard.pot --no-location --sort-output \
	  --project churnguard --version 0.1.0 --copyright-holder "churnguard authors" .
	$(BIN)/pybabel update -i build/churnguard.pot -d src/churnguard/i18n/locale -D churnguard \
	  --ignore-obsolete --no-fuzzy-matching --no-wrap
