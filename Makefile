# The two set-up commands: `make run` and `make test`. Both install into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The main job on the embedded default: teach, then analyse the contract's example case.
run: install
	$(BIN)/rebalance explain piriformis
	$(BIN)/rebalance assess examples/contract_example.yaml

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/rebalance kb check

test: lint
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/bench_knowledge.py
	$(BIN)/python bench/bench_analysis.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
