#!/usr/bin/env bash
# The GPU check of the speed issue, prepared to run in a few minutes on a CUDA machine that reaches
# no package registry (its own PyTorch is used; what multis2s needs besides travels as wheels).
#   bench/gpu.sh --wheels    here, with registry access: download those wheels into bench/out/gpu-wheels
#   bench/gpu.sh             on the GPU machine, from the repository root (carry bench/out/gpu-wheels)
# Prints, for multis2s on the GPU: the anchor model's training target tokens/s and decode
# sentences/s (300 updates, bf16 autocast, pinned memory, non-blocking copies: the config defaults
# on CUDA), and configs/asr.yaml's training utterances/s (300 updates, demo-size corpus).
# OpenNMT-py runs beside it when its wheels are in bench/out/gpu-wheels/onmt (bench/gpu.sh --wheels onmt).
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=bench/out/gpu-wheels
NEEDS="pluggy pyyaml jiwer rapidfuzz tqdm sacrebleu portalocker regex tabulate colorama lxml soundfile cffi
       pycparser espeakng-loader numpy pillow"
if [ "${1:-}" = "--wheels" ]; then
    mkdir -p "$WHEELS"
    .venv/bin/pip download --quiet --no-deps --only-binary=:all: --dest "$WHEELS" $NEEDS
    if [ "${2:-}" = "onmt" ]; then
        .venv/bin/pip download --quiet --no-deps --only-binary=:all: --dest "$WHEELS/onmt" OpenNMT-py==3.5.1 \
            configargparse "pyonmttok>=1.37,<2" "ctranslate2>=4,<5" six
    fi
    du -sh "$WHEELS"
    exit 0
fi
python3 -c 'import torch; assert torch.cuda.is_available(), "no CUDA device"; print(torch.__version__, torch.cuda.get_device_name())'
VENV=bench/out/gpu-venv
python3 -m venv --system-site-packages "$VENV"
"$VENV/bin/pip" install --quiet --no-index --find-links "$WHEELS" --no-deps "$WHEELS"/*.whl
"$VENV/bin/pip" install --quiet --no-index --no-deps --no-build-isolation -e .
export MULTIS2S_CACHE=bench/out/gpu-cache
echo "== anchor task, multis2s, cuda"
"$VENV/bin/python" bench/anchor_reverse.py --device cuda --updates 300 --out bench/out/gpu-anchor
echo "== configs/asr.yaml, multis2s, cuda, 300 updates"
"$VENV/bin/multis2s" run configs/asr.yaml -o bench/out/gpu-asr device=cuda train.max_steps=300 \
    train.validate_every=300 train.validation_examples=100 train.progress=false \
    data.dataset.train_size=1500 data.dataset.dev_size=100 data.dataset.test_size=100
"$VENV/bin/python" - <<'PY'
import json
records = [json.loads(x) for x in open("bench/out/gpu-asr/metrics.jsonl")]
train = [r for r in records if r["split"] == "train"][1:]
print(f"asr training: {sum(r['examples_per_s'] * r['seconds'] for r in train) / sum(r['seconds'] for r in train):.1f} "
      f"utterances/s, {sum(r['tokens'] for r in train) / sum(r['seconds'] for r in train):.0f} target tokens/s")
PY
if [ -d "$WHEELS/onmt" ]; then
    echo "== anchor task, OpenNMT-py, cuda"
    ONMT=bench/out/gpu-onmt-venv
    python3 -m venv --system-site-packages "$ONMT"
    "$ONMT/bin/pip" install --quiet --no-index --no-deps "$WHEELS"/onmt/*.whl "$WHEELS"/pyyaml*.whl
    "$VENV/bin/python" bench/side_by_side.py --toolkits onmt --threads 2 --rounds 1 --updates 300 \
        --onmt-venv "$ONMT" --gpu --out bench/out/gpu-side-by-side
fi
