# The README's two commands:  `make course`  and  `make test`.
# Both create .venv on first use (scripts/bootstrap.py), so a fresh machine needs only Python >= 3.10:
# `make course` installs what the course needs (the [course] extra), `make test` adds the test and lint tools ([test]).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8888
# Jupyter refuses to run as root (containers, CI machines) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

.PHONY: setup setup-test course test test-fast test-simd lint format test-wheel test-colab-pins colab-env test-binder test-verl site site-env measure exercises bench clean

setup:
	@$(PYTHON) scripts/bootstrap.py $(VENV) --extras course

setup-test:
	@$(PYTHON) scripts/bootstrap.py $(VENV) --extras course,test

## Set up and open the course in JupyterLab.
course: setup
	$(VENV)/bin/jupyter lab --port=$(PORT) $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb

## Set up and run the whole test suite (unit tests, notebooks, exercises, browser test).
test: setup-test
	$(PY) -m pytest $(PYTEST_ARGS)

## The edit-test loop: the unit tests and doctests only (pytest --fast: no notebook execution, no browser, no test that
## starts kernels, servers or environments). About 2 minutes; `make test` is the full suite.
test-fast: setup-test
	$(PY) -m pytest --fast $(PYTEST_ARGS)

## The unit tests and doctests again with NumPy's (and PyTorch's) AVX-512 kernels switched off, where the CPU has
## them (checked, not assumed); on a CPU without AVX-512 it says so and stops. No notebooks, no browser (CI runs it).
test-simd: setup-test
	$(PY) scripts/simd_pass.py $(PYTEST_ARGS)

## Lint and format check (ruff; configuration in pyproject.toml). `make format` applies the fixes.
lint: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Build the sdist and wheel, check them, and test the wheel in fresh environments (core alone, and [course]).
test-wheel: setup-test
	bash scripts/test_wheel.sh $(PY)

## Execute the chapter, solution and exercise notebooks once in an environment pinned to Colab's widget/chart versions
## (checked there before they run); its executed copies are kept apart (test-output/notebooks-colab/).
COLAB_PINS := ipywidgets==7.7.1 altair==5.5.0
test-colab-pins: colab-env
	PASSK_EXECUTED=test-output/notebooks-colab $(VENV)-colab/bin/python -m pytest -m notebook \
		tests/test_notebooks.py tests/test_exercises.py $(PYTEST_ARGS)

## The Colab-pinned environment alone (.venv-colab): [course,test], then Colab's pins, checked.
colab-env:
	@$(PYTHON) scripts/bootstrap.py .venv-colab --extras course,test
	$(VENV)-colab/bin/python -m pip install -q $(COLAB_PINS)
	$(VENV)-colab/bin/python -c "import importlib.metadata as m, sys; bad = [p for p in sys.argv[1:] \
		if m.version(p.split('==')[0]) != p.split('==')[1]]; sys.exit(f'Colab pins not in effect: {bad}' if bad else 0)" $(COLAB_PINS)

## Binder's set-up rehearsed: binder/requirements.txt + postBuild in a fresh environment (local CPU torch standing
## in for the CPU index), then every chapter with a JupyterLab server up: server + kernel memory < 2 GB.
test-binder:
	bash scripts/test_binder.sh

## The verl plugin (course_lib.integrations.verl) tested on CPU against verl itself, in its own environment.
## verl is large (2.1 GB with its dependencies; 8-12 min to install on a loaded 2-core machine): the environment is
## built once and kept while VERL_PINS stay the same (a stamp file), so a re-run only runs the tests (~1 min).
## pip's log: $(VERL_VENV)/pip.log.
## CPU torch first (the local wheel, as scripts/bootstrap.py does); verl's extra [verl-core] brings TransferQueue,
## which its default (v1) trainer imports; ray_trainer also needs cachetools, uvicorn and fastapi, which verl 0.9.1
## does not declare; TRL for tests/test_trl.py; gguf for tests/test_trl_realmodel.py (passk model fetch converts
## the real model's GGUF file when the cache lacks it); the course package goes in editable, without deps. Then
## scripts/monitor_fixtures.py checks that tests/data/monitor/ is what verl's and TRL's own writers write now.
VERL_PINS  := verl[verl-core]==0.9.1 trl==1.16.0 cachetools uvicorn fastapi pytest gguf
VERL_VENV  := $(VENV)-verl
VERL_STAMP := $(VERL_VENV)/.passk-verl-installed
VERL_PIP   := $(VERL_VENV)/bin/python -m pip install --disable-pip-version-check
test-verl:
	@if [ "$$(cat $(VERL_STAMP) 2>/dev/null)" != "$(VERL_PINS)" ]; then \
		set -ef; t0=$$(date +%s); echo "building $(VERL_VENV): $(VERL_PINS)"; rm -rf $(VERL_VENV); \
		$(PYTHON) -m venv $(VERL_VENV); log=$(VERL_VENV)/pip.log; \
		$(VERL_PIP) --no-index --no-deps torch >$$log 2>&1 || $(VERL_PIP) torch >>$$log 2>&1 || { tail -20 $$log; exit 1; }; \
		$(VERL_PIP) $(VERL_PINS) >>$$log 2>&1 || { tail -40 $$log; exit 1; }; \
		$(VERL_PIP) --no-deps -e . >>$$log 2>&1 || { tail -20 $$log; exit 1; }; \
		echo "$(VERL_PINS)" > $(VERL_STAMP); \
		echo "$(VERL_VENV) ready in $$(( $$(date +%s) - t0 )) s ($$(du -sh $(VERL_VENV) | cut -f1))"; \
	fi
	$(VERL_VENV)/bin/python -m pytest -q -p no:cacheprovider -W ignore::UserWarning -W ignore::DeprecationWarning \
		tests/test_verl.py tests/test_verl_grpo_passk.py tests/test_trl.py tests/test_trl_realmodel.py $(PYTEST_ARGS)
	$(VERL_VENV)/bin/python scripts/monitor_fixtures.py

## Build the course site (static HTML, readable offline) into build/site/ (scripts/build_site.py): the chapters
## executed by the notebook test (test-output/notebooks/) are reused when current (same notebook, course_lib, results/
## and packages), else executed here, and kept there for the notebook and browser tests to reuse; the [site]
## extra (Sphinx, MyST-NB, sphinx-book-theme) is installed on first use. Read it: python -m http.server -d build/site
site: site-env
	$(PY) scripts/build_site.py $(SITE_ARGS)

## The [site] extra in .venv alone (make site runs it first; CI runs it with the environment, so that the site stage
## builds nothing in the source tree while the verl environment is built beside it).
site-env: setup
	@$(PY) -c "import sphinx, myst_nb, sphinx_book_theme" 2>/dev/null || $(PY) -m pip install -q --disable-pip-version-check -e ".[site]"

## Time each notebook and measure its peak memory (scripts/measure_notebooks.py, in .venv; the instructor guide's
## tables). Options through MEASURE_ARGS, e.g. make measure MEASURE_ARGS="solutions/*.ipynb --json sol.json".
measure: setup
	$(PY) scripts/measure_notebooks.py $(MEASURE_ARGS)

## Regenerate exercises/ from solutions/.
exercises: setup
	$(VENV)/bin/passk build-exercises

bench: setup
	for f in benchmarks/*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) $(VENV)-colab $(VENV)-verl .pytest_cache test-output build/site build/site-src build/site-doctrees
