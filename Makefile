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

.PHONY: demo test install lint bench clean

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "churnguard needs Python 3.11 or newer (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/churnguard demo --dir $(DEMO_DIR) --customers $(DEMO_CUSTOMERS) --months $(DEMO_MONTHS) --replace

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
