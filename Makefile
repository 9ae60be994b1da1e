# One task runner for people and CI. `make run` sets up and starts the product; `make test` runs every test.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export ANONYMIZED_TELEMETRY := False
API_PORT ?= 8000
UI_PORT ?= 8501

.PHONY: install install-dev run serve ui ingest test lint eval bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)

# torch first, pinned: the CPU build lies on this machine's disk; an unpinned torch pulls a CUDA build.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

ingest: install
	$(BIN)/reviews ingest

# Ingest the bundled corpus, then start the service and the UI together.
run: ingest
	@echo "service: http://127.0.0.1:$(API_PORT)  (OpenAPI docs at /docs)"
	@echo "UI:      http://127.0.0.1:$(UI_PORT)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/reviews serve --port $(API_PORT) & \
	API_URL=http://127.0.0.1:$(API_PORT) $(BIN)/streamlit run ui/app.py --server.headless true \
	  --server.port $(UI_PORT) --browser.gatherUsageStats false & \
	wait

serve: install
	$(BIN)/reviews serve --port $(API_PORT)

# Tests run with no network where `unshare -n` works (proving offline behaviour), plainly otherwise.
test: install-dev
	@if unshare -n true 2>/dev/null; then \
	  echo "running tests with no network (unshare -n; loopback only)"; \
	  unshare -n sh -c 'ip link set lo up && exec $(BIN)/python -m pytest $(PYTEST_ARGS)'; \
	else $(BIN)/python -m pytest $(PYTEST_ARGS); fi

lint: install-dev
	$(BIN)/ruff check core ingest index service ui evals cli tests bench
	$(BIN)/ruff format --check core ingest index service ui evals cli tests bench
	$(BIN)/mypy

eval: install
	$(BIN)/reviews ingest -q
	$(BIN)/reviews eval --split test

bench: install
	$(BIN)/python bench/bench.py

clean:
	rm -rf data evals/reports/*.png
