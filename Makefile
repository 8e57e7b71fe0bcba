# The README's two commands:  `make course`  and  `make test`.
# Both create .venv on first use (scripts/bootstrap.py), so a fresh machine needs only Python >= 3.10.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8888
# Jupyter refuses to run as root (containers, CI machines) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

.PHONY: setup course test lint format test-wheel test-colab-pins exercises bench clean

setup:
	@$(PYTHON) scripts/bootstrap.py $(VENV)

## Set up and open the course in JupyterLab.
course: setup
	$(VENV)/bin/jupyter lab --port=$(PORT) $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb

## Set up and run the whole test suite (unit tests, notebooks, exercises, browser test).
test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

## Lint and format check (ruff; configuration in pyproject.toml). `make format` applies the fixes.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Build the sdist and wheel, check them, and test the wheel in fresh environments (core alone, and [course]).
test-wheel: setup
	bash scripts/test_wheel.sh $(PY)

## Execute the chapter, solution and exercise notebooks again, pinned to Colab's widget/chart versions.
test-colab-pins:
	@$(PYTHON) scripts/bootstrap.py .venv-colab
	$(VENV)-colab/bin/python -m pip install -q "ipywidgets==7.7.1" "altair==5.5.0"
	$(VENV)-colab/bin/python -m pytest -m notebook tests/test_notebooks.py tests/test_exercises.py

## Regenerate exercises/ from solutions/.
exercises: setup
	$(VENV)/bin/passk build-exercises

bench: setup
	for f in benchmarks/*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) $(VENV)-colab .pytest_cache test-output
