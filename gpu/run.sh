#!/usr/bin/env bash
# GPU CI: run every solution with PROFILE=gpu (papermill) plus the GPU-marked tests.
# Used by .github/workflows/gpu.yml on a self-hosted CUDA runner, and by hand on a lent GPU box.
# With the packages already installed (e.g. from the wheels `gpu/quick.sh --prepare` fetches) set LLMLAB_NO_VENV=1 to use
# the current python instead of creating .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
if [ -z "${LLMLAB_NO_VENV:-}" ]; then
  make env VENV=.venv-gpu TORCH_SPEC="${TORCH_SPEC:-torch}"
  PY=.venv-gpu/bin/python
fi
export LLMLAB_PROFILE=gpu MPLBACKEND=Agg PYTHONUNBUFFERED=1
export LLMLAB_CACHE=${LLMLAB_CACHE:-$PWD/.cache/zoo-gpu}
$PY -c "import torch, sys; ok = torch.cuda.is_available(); print('CUDA:', ok, torch.cuda.get_device_name(0) if ok else ''); sys.exit(0 if ok else 1)"
$PY -m pytest -m gpu tests "$@"
mkdir -p runs/gpu
$PY -m llmlab.mfu --json runs/gpu/mfu.json      # the training loop's MFU vs a plain HF loop
$PY -m llmlab.course.execute --profile gpu --out runs/gpu
