# Two commands on a fresh machine with Python >= 3.10:
#   make demo   set up .venv and launch the web app on http://127.0.0.1:7860
#   make test   set up .venv and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint benchmark

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/xai-demo serve $(ARGS)

test: $(BIN)/.installed
	$(BIN)/ruff check xai_demo tests benchmarks app.py
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check xai_demo tests benchmarks app.py

benchmark: $(BIN)/.installed
	$(BIN)/python benchmarks/run_all.py
