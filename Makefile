# Two commands on a fresh machine with Python >= 3.10:
#   make demo   set up .venv and launch the web app on http://127.0.0.1:7860
#   make test   set up .venv and run the whole test suite
#   make models rebuild every committed checkpoint from the command in its model card (needs XAI_DEMO_DATA;
#               about an hour on 2 CPU cores), then re-measure the shortcut twins
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint benchmark models

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

# clean twins first: the shortcut reports compare each shortcut model with its clean twin
CARDS := pneumoniamnist_28 cxr_clean_64 cxr_clean_128 cxr_shortcut_token_64 cxr_shortcut_marker_128
models: $(BIN)/.installed
	for m in $(CARDS); do $(BIN)/xai-demo train --from-card models/$$m.md || exit 1; done
	$(BIN)/xai-demo shortcut-report --clean models/cxr_clean_128.pt --shortcut models/cxr_shortcut_marker_128.pt \
		--out reports/marker_128 --update-card
	$(BIN)/xai-demo shortcut-report --clean models/cxr_clean_64.pt --shortcut models/cxr_shortcut_token_64.pt \
		--out reports/token_64 --method gradcam integrated_gradients guided_backprop --update-card
	$(BIN)/xai-demo shortcut-report --clean models/cxr_clean_128.pt --shortcut models/cxr_shortcut_marker_128.pt \
		--store-conditions
	$(BIN)/xai-demo shortcut-report --clean models/cxr_clean_64.pt --shortcut models/cxr_shortcut_token_64.pt \
		--store-conditions
