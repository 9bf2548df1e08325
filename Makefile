# The README's commands. Each creates (once) and uses the virtual environment .venv,
# installed from pyproject.toml (ranges) with constraints.txt (the exact versions the
# book's numbers came from: the one lock file, which environment.yml and CI use too).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-from-constraints

# Offline MovieLens archives: $MOVIELENS_DIR if set, else ../shared/data when it exists.
MOVIELENS_DIR ?= $(if $(wildcard ../shared/data/ml-100k.zip),$(abspath ../shared/data))
export MOVIELENS_DIR

PYTEST_NBVAL := --nbval --nbval-current-env -p no:cacheprovider

.PHONY: venv lock book test test-unit test-slow test-colab execute benchmark clean

venv: $(STAMP)

$(STAMP): pyproject.toml tools/pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "Installing the book's environment into $(VENV) from constraints.txt: about 2.8 GB (TensorFlow, JAX, Keras, Jupyter Book, ...), a few minutes with a warm pip cache, longer on a fresh machine."
	$(BIN)/python -m pip install -c constraints.txt -e ".[dev]" -e ./tools
	touch $@

# After changing a range in pyproject.toml: resolve it afresh and write the new lock.
lock:
	rm -rf build/lock-venv
	$(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/python -m pip install --quiet --upgrade pip
	build/lock-venv/bin/python -m pip install --quiet -e ".[dev]" -e ./tools
	{ sed -n '/^#/p' constraints.txt; build/lock-venv/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf build/lock-venv

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going

# Every tier but slow: unit, notebooks (quick runs, nbval on the stored outputs), figures,
# site, repository, and the Colab-like tier (tests/colab: builds .venv-colab once).
test: $(STAMP)
	$(BIN)/recbook-run --prepare-nbval
	$(BIN)/pytest tests build/nbval $(PYTEST_NBVAL) -m "not slow"

# Re-executes every chapter with full parameters and compares the figures with the stored
# run, each within its cross-machine tolerance (tests/notebooks/test_full_rerun.py; about
# 40 min). To see another machine's rounding here: XLA_FLAGS=--xla_cpu_max_isa=AVX make test-slow
test-slow: $(STAMP)
	$(BIN)/pytest tests -m slow

# The Colab-like tier alone: every chapter installed and run on Colab's versions.
test-colab: $(STAMP)
	$(BIN)/pytest tests/colab

# The fast tier alone: the recbook package on synthetic and mock data (seconds).
test-unit: $(STAMP)
	$(BIN)/pytest tests/unit

execute: $(STAMP)
	$(BIN)/recbook-run

# This machine's floors, the training loops against them, the backends, the book's stored
# times (--execute: run every chapter again); writes benchmark.json (about 15 minutes).
benchmark: $(STAMP)
	$(BIN)/recbook-benchmark

clean:
	rm -rf _build build
