# opsplaybook tasks. The two set-up commands are `make reports` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SEED   ?= 7
SCALE  ?= 1
DATA   ?= data/sample

.PHONY: help venv sample reports test lint lab bench clean-reports strip contract glossary student

help:
	@echo "make reports   create .venv if missing, build the sample shop, run every notebook into reports/"
	@echo "make test      run the full test suite (what CI runs)"
	@echo "make lab       open JupyterLab on lab/, a scratch copy of notebooks/, with the project's kernel"
	@echo "make bench     run the benchmarks in benchmarks/ (PEERS=quick|full|skip, ONLY=name,...)"
	@echo "make lint      ruff"
	@echo "make student   student copies of the notebooks (no solutions) in student/, for trainees"
	@echo "make glossary  regenerate docs/glossary.md from the TERMS in opslib"

# The environment: a plain venv with pip, so a machine with only Python 3.11+ and PyPI is enough.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "opsplaybook needs Python 3.11 or newer; found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

# The embedded sample shop: deterministic, so it is built, not committed.
$(DATA)/truth.json: $(STAMP) $(wildcard opslib/sample/*.py)
	$(BIN)/python -m opslib.sample --seed $(SEED) --scale $(SCALE) --out $(DATA)

sample: $(DATA)/truth.json

# Two notebooks at a time (the machines here have 2 cores; each kernel gets one BLAS thread), the slowest first
# once there is a history. REPORT_WORKERS=1 runs them one by one, with per-cell progress bars.
REPORT_WORKERS ?= 2
reports: $(DATA)/truth.json
	$(BIN)/python -m opslib report run --all --workers $(REPORT_WORKERS) -p data_dir $(abspath $(DATA))

# Two workers (the machines here have 2 cores); each test file stays on one worker, so a file's fixtures
# (a built shop, an executed notebook) are made once. WORKERS=0 runs in one process.
WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest $(if $(filter 0,$(WORKERS)),,-n $(WORKERS) --dist loadfile)

lint: $(STAMP)
	$(BIN)/ruff check opslib tests benchmarks

# Exploring happens in lab/, a scratch copy of notebooks/ (ignored by git), so JupyterLab's autosave never
# edits a template that the scheduled reports run; a copy you edited is kept. Reset one: delete lab/NAME.ipynb.
# --allow-root only when run as root (containers, CI boxes); JupyterLab refuses root otherwise.
lab: $(STAMP)
	$(BIN)/python -m opslib report scratch lab
	$(BIN)/jupyter lab --notebook-dir=lab $(if $(filter 0,$(shell id -u)),--allow-root,)

# Every bench, from a plain clone: the sample shop comes first (make sample), the benches generate their larger
# shops in data/bench/ and set up their peers; a bench whose real data set (../shared/data, or $OPSLIB_SHARED_DATA
# for a clone elsewhere) is absent is skipped with a line. PEERS=quick (default: the forecast peer bench's
# --quick), full (about 45 min more) or skip.
# ONLY=cube,import runs some of them (benchmarks/run.py --list names them).
PEERS ?= quick
ONLY  ?=
bench: $(DATA)/truth.json
	$(BIN)/python benchmarks/run.py --peers $(PEERS) --sample $(DATA) $(if $(ONLY),--only $(ONLY),)

strip: $(STAMP)
	$(BIN)/nbstripout notebooks/*.ipynb

contract: $(STAMP)
	$(BIN)/python -m opslib contract docs/data_contract.md

glossary: $(STAMP)
	$(BIN)/python -m opslib glossary docs/glossary.md

# Student copies for new operators: the notebooks without solution cells (tag `solution`), answer cells reset
# (tag `exercise`), no outputs; student/ is ignored by git and sits next to notebooks/, so ../data/sample works.
student: $(STAMP)
	$(BIN)/python -m opslib training student student
