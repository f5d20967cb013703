# LLM Labs — every target creates the environment first if it is missing.
#   make run    execute every lab (solutions/, or SRC=labs) headless on $(PROFILE), write runs/$(PROFILE)/REPORT.md
#   make test   package tests + every solution under nbval + sync checks (what CI runs)
#   make lab    JupyterLab on labs/        make labs   regenerate labs/ from solutions/
#   make zoo    build the model zoo        make data   regenerate data/ (byte-identical)
#   make grade SUBMISSIONS=dir   execute student notebooks, report each exercise
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= cpu
# make run SRC=labs: the student notebooks, stubs unsolved, run to the end (later cells use the references)
SRC ?= solutions
# The tested torch build. With torch already installed (Colab, SageMaker), `pip install -r
# requirements.txt` keeps it: requirements.txt only asks for a range.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.llmlab-installed
PYTEST_ARGS ?=

.PHONY: env run test lab labs zoo data solutions grade clean-cache help
help:
	@sed -n '1,7p' Makefile

env: $(STAMP)
$(STAMP): requirements.txt pyproject.toml
	@echo "== creating $(VENV) (once; a few minutes) =="
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q -e . --no-deps
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

zoo: env
	$(BIN)/python -m llmlab.zoo build --jobs 2

data: env
	$(BIN)/python -m llmlab.tinyworld build

labs: env
	$(BIN)/python -m llmlab.course.generate build

run: env zoo
	$(BIN)/python -m llmlab.course.execute --profile $(PROFILE) --src $(SRC)

# Re-execute the answer keys in place so their committed outputs come from a cpu run.
solutions: labs zoo
	$(BIN)/python -m llmlab.course.execute --profile cpu --inplace

test: env zoo
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Grade student notebooks (a file or a folder): per exercise passed / failed / not attempted, GRADES.md.
SUBMISSIONS ?= labs
grade: env
	$(BIN)/python -m llmlab.course.grade $(SUBMISSIONS)

# JupyterLab at once: each lab builds the zoo models it needs on first use (a message and a progress bar say
# what is trained and for how long), or run `make zoo` first to build them all.
lab: env
	$(BIN)/jupyter lab labs/

clean-cache:
	rm -rf "$${LLMLAB_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/llmlab}"
