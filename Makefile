# ScaleLab: `make run` serves the app, `make test` runs every check. Both work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# SERVER=uvicorn serves with uvicorn (docs/deploy.md: cheaper per live lab than daphne)
SERVER ?= daphne
ifeq ($(filter $(SERVER),daphne uvicorn),)
$(error SERVER must be daphne or uvicorn, not '$(SERVER)')
endif
SYSTEM_PACKAGES_RUN := redis-server gettext
SYSTEM_PACKAGES_TEST := redis-server gettext chromium fonts-noto-cjk
PYTEST_ARGS ?=

.PHONY: run test install install-dev system-run system-test messages lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

system-run:
	@scripts/ensure_system_packages.sh $(SYSTEM_PACKAGES_RUN)

system-test:
	@scripts/ensure_system_packages.sh $(SYSTEM_PACKAGES_TEST)

messages:
	$(BIN)/python manage.py compilemessages --ignore=.venv -v0

run: install system-run messages
	@scripts/ensure_redis.sh
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_demo
	@echo "ScaleLab is serving on http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
ifeq ($(SERVER),uvicorn)
	$(BIN)/uvicorn --host $(HOST) --port $(PORT) --no-access-log --lifespan off config.asgi:application
else
	$(BIN)/python -m config.serve -b $(HOST) -p $(PORT) config.asgi:application
endif

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

test: install-dev system-test messages lint typecheck
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python -m tests.bench.run_all

clean:
	rm -rf .staticfiles .run .pytest_cache .mypy_cache
