#!/usr/bin/env bash
# The GPU check in one call, for a lent GPU machine with a 15-minute budget (no venv, no internet):
# the Python packages it lacks come as wheels in .whl/, the zoo (which always trains on CPU) comes
# built in .cache/zoo. Prepare here, then run it there:
#   bash gpu/quick.sh --prepare                       # fills .whl/ (~21 MB) and .cache/zoo/ (~13 MB)
#   device run: command "bash gpu/quick.sh", carry [".whl", ".cache/zoo"]
#   a second call "bash gpu/quick.sh mfu" (timeout 600) measures the MFU setups not yet measured
# Writes at most 8 files to $OUT (or runs/gpu-quick): zoo.txt, pytest.txt, run.txt, REPORT.md, ...
set -uo pipefail
cd "$(dirname "$0")/.."
WHEELS="trl datasets evaluate dill multiprocess xxhash nbval papermill nbclient nbformat jupyter_client
 jupyter_core ipykernel pyzmq tornado traitlets comm debugpy ipython matplotlib-inline nest_asyncio decorator
 jedi parso prompt_toolkit wcwidth pexpect ptyprocess stack_data executing asttokens pure_eval fastjsonschema
 jsonschema jsonschema-specifications referencing rpds-py tenacity ansicolors entrypoints
 ipython_pygments_lexers platformdirs nltk ipywidgets widgetsnbextension jupyterlab_widgets"
if [ "${1:-}" = "--prepare" ]; then
  mkdir -p .whl .cache/zoo
  for p in $WHEELS; do
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
      --platform any -d .whl "$p" || exit 1
  done
  python3 -m pip wheel -q --no-deps -w .whl rouge_score==0.1.2 || exit 1   # sdist only on PyPI
  ${PY:-.venv/bin/python} -m llmlab.zoo build --jobs 2 || exit 1
  cp -r "${LLMLAB_CACHE:-$HOME/.cache/llmlab}"/*-[0-9a-f]*[0-9a-f] .cache/zoo/
  du -sh .whl .cache/zoo
  exit 0
fi
OUT=${OUT:-runs/gpu-quick}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/lib PATH=/tmp/site/bin:$PATH
export LLMLAB_CACHE=$PWD/.cache/zoo LLMLAB_PROFILE=gpu MPLBACKEND=Agg PYTHONUNBUFFERED=1
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -m ipykernel install --user --name python3 >/dev/null
if [ "${1:-}" = "mfu" ]; then     # the bf16 weights baseline (4), then the untried ideas (6-9)
  python3 -m llmlab.mfu --only 0 4 6 7 8 9 --steps 60 --budget-s ${MFU_BUDGET_S:-420} --json "$OUT/mfu.json" 2>&1 \
    | grep -v "it/s" | tee "$OUT/mfu.txt"
  exit 0
fi
python3 -m llmlab.zoo verify 2>&1 | tee "$OUT/zoo.txt"
python3 -m pytest -m gpu tests -q -p no:cacheprovider -o addopts="" 2>&1 | tail -15 | tee "$OUT/pytest.txt"
python3 -m llmlab.course.execute --profile gpu --out "$OUT" --timeout 400 2>&1 | grep -v WARNING | tee "$OUT/run.txt"
