# The two set-up commands: `make run` and `make test`. Both install into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean services browser figures-png pdf-tools constraints

$(STAMP): pyproject.toml constraints.txt
	@# A .venv that is not a working environment (a dangling or looping link, a half-made folder) is made anew.
	@$(BIN)/python -c '' 2>/dev/null || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,video]" -c constraints.txt
	touch $(STAMP)

install: $(STAMP)

# The main job: the clinic web app on http://$(HOST):$(PORT) (127.0.0.1:8000 unless given, e.g. `make run PORT=8010`)
# with a demo clinic (seeded into ./rebalance.db when it is empty; REBALANCE_DATABASE_URL for another database).
# Prints the logins.
HOST ?= 127.0.0.1
PORT ?= 8000
run: install
	$(BIN)/rebalance serve --demo --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/rebalance kb check

# The storage tests run against the real PostgreSQL server on this machine: start it if it is down.
services:
	pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; \
	  echo "PostgreSQL did not become ready on 127.0.0.1:5432" >&2; exit 1

# The browser tests (tests/browser) drive Debian's Chromium through Playwright's Python package (in the
# dev extra). The browser comes from Debian, installed once; never from `playwright install`.
CHROMIUM := /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The figures' PNGs (rebalance figures --png, tests/reports/test_figure.py) come from Debian's rsvg-convert.
RSVG := /usr/bin/rsvg-convert
figures-png:
	@test -x $(RSVG) || { echo "installing Debian's librsvg2-bin (rsvg-convert) for the figures' PNGs"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librsvg2-bin >/dev/null; }

# The PDF tests (tests/reports/test_paper.py) turn pages into PNGs and text with Debian's poppler-utils
# (pdftoppm, pdftotext). WeasyPrint itself needs Debian's Pango, which the machine images ship.
PDFTOPPM := /usr/bin/pdftoppm
pdf-tools:
	@test -x $(PDFTOPPM) || { echo "installing Debian's poppler-utils (pdftoppm, pdftotext) for the PDF tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; }

test: lint services browser figures-png pdf-tools
	$(BIN)/pytest -q

# The benchmarks print their figures (bench/README.md); each a module of bench/, run from the checkout.
bench: install services
	$(BIN)/python -m bench.bench_knowledge
	$(BIN)/python -m bench.bench_analysis
	$(BIN)/python -m bench.bench_program
	$(BIN)/python -m bench.bench_handout
	$(BIN)/python -m bench.bench_patient_list
	$(BIN)/python -m bench.bench_video
	$(BIN)/python -m bench.bench_web_load

# Take the newest releases pyproject.toml allows, and pin them in constraints.txt (then run make test).
constraints:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade -e ".[dev,video]"
	{ sed -n '1,2p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
