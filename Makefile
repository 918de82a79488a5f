# The two commands: `make run` (a demo shop on http://127.0.0.1:8000) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STRIPE_EMULATOR_PORT ?= 12111
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint format bench clean

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

# The demo: SQLite and a file-based Celery broker under var/, console email, the local
# Stripe emulator. Nothing to install beyond Python; one Ctrl-C stops everything.
run: export DEBUG ?= 1
run: export STRIPE_API_BASE ?= http://127.0.0.1:$(STRIPE_EMULATOR_PORT)
run: export STRIPE_SECRET_KEY ?= sk_test_emulator
run: export STRIPE_WEBHOOK_SECRET ?= whsec_emulator
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
# The countries the demo shipping rates serve (shop/demo.py): the US, Canada and the EU.
run: export SHOP_SHIPPING_COUNTRIES ?= US,CA,AT,BE,BG,HR,CY,CZ,DK,EE,FI,FR,DE,GR,HU,IE,IT,LV,LT,LU,MT,NL,PL,PT,RO,SK,SI,ES,SE
# Not PORT: honcho gives each process its own PORT (5000, 5100, …), Foreman-style.
run: export WEB_PORT := $(PORT)
run: export STRIPE_EMULATOR_PORT := $(STRIPE_EMULATOR_PORT)
run: $(INSTALLED)
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo
	@echo "  Shop      $(SITE_URL)/"
	@echo "  Blog      $(SITE_URL)/blog/"
	@echo "  FAQ       $(SITE_URL)/faq/"
	@echo "  Admin     $(SITE_URL)/admin/   (user: staff, password: hodhod-demo)"
	@echo "  API docs  $(SITE_URL)/api/docs/"
	@echo "  Stripe    emulator on $(STRIPE_API_BASE) (test payments only)"
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho start -f Procfile.dev

# The whole suite on PostgreSQL, with Redis for the Celery tests and Chromium for e2e.
test: $(INSTALLED)
	bash scripts/ensure-services.sh
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The benchmarks run with DEBUG off, where the settings refuse a backend that delivers nothing:
# locmem builds each message and keeps it in memory (bench.programs_smtp sets its own SMTP).
bench: export EMAIL_BACKEND ?= django.core.mail.backends.locmem.EmailBackend
bench: $(INSTALLED)
	bash scripts/ensure-services.sh
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var staticfiles
