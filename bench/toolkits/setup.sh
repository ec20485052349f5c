#!/usr/bin/env bash
# The reference toolkits, each in its own venv under bench/out/toolkits/, from PyPI, torch kept at the
# version multis2s runs on. Idempotent: a venv with its .installed stamp is left alone.
#   bench/toolkits/setup.sh [onmt] [joeynmt] [eole] [speechbrain]      (default: all four)
# Each toolkit's install quirks (undeclared or over-strict dependencies) are handled here, as in
# ../shared/anchors/nmt/setup_venvs.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=bench/out/toolkits
TORCH=$(.venv/bin/python -c 'import torch; print(torch.__version__.split("+")[0])')
mkdir -p "$ROOT"
echo "torch==$TORCH" > "$ROOT/constraints.txt"
PIP="--quiet --disable-pip-version-check"

venv() {  # venv NAME: a fresh venv with torch installed
    rm -rf "$ROOT/$1"
    python3 -m venv "$ROOT/$1"
    "$ROOT/$1/bin/pip" install $PIP "torch==$TORCH"
}

shared_venv() {  # shared_venv NAME: a fresh venv that sees multis2s' .venv (its torch, one ~6 GB install
    # less on disk) through a .pth file; every package of .venv is pinned, so pip adds packages to this
    # venv and never changes .venv
    rm -rf "$ROOT/$1"
    python3 -m venv "$ROOT/$1"
    local shared
    shared=$(realpath "$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')")
    "$ROOT/$1/bin/python" -c 'import sys, sysconfig
open(sysconfig.get_paths()["purelib"] + "/multis2s_venv.pth", "w").write(sys.argv[1] + "\n")' "$shared"
    .venv/bin/pip freeze --exclude-editable | grep -v -e '^-e ' -e ' @ ' > "$ROOT/shared-constraints.txt"
}

install_onmt() {  # OpenNMT-py 3.5.1 declares torch<2.3: install it without dependencies, then its needs
    venv onmt
    "$ROOT/onmt/bin/pip" install $PIP --no-deps OpenNMT-py==3.5.1
    "$ROOT/onmt/bin/pip" install $PIP -c "$ROOT/constraints.txt" configargparse "ctranslate2>=4,<5" tensorboard \
        flask waitress "pyonmttok>=1.37,<2" pyyaml sacrebleu rapidfuzz pyahocorasick fasttext-wheel spacy six
}

install_joeynmt() {  # JoeyNMT 2.3.0: its requirements pull linters and notebooks; importlib_metadata undeclared.
    # It runs on multis2s' own torch (see shared_venv); its protobuf<3.21 pin is for a tensorboard older than ours
    shared_venv joeynmt
    "$ROOT/joeynmt/bin/pip" install $PIP --no-deps joeynmt==2.3.0
    "$ROOT/joeynmt/bin/pip" install $PIP -c "$ROOT/shared-constraints.txt" numpy pyyaml tensorboard sacrebleu \
        sentencepiece subword-nmt sacremoses matplotlib seaborn packaging pandas importlib_metadata
}

install_eole() {  # eole 0.6.4 accepts this torch; aiohttp is undeclared
    venv eole
    "$ROOT/eole/bin/pip" install $PIP -c "$ROOT/constraints.txt" eole==0.6.4 aiohttp
}

install_speechbrain() {  # SpeechBrain 1.1.2 runs on multis2s' own torch and torchaudio (see shared_venv)
    shared_venv speechbrain
    "$ROOT/speechbrain/bin/pip" install $PIP -c "$ROOT/shared-constraints.txt" speechbrain==1.1.2
}

for kit in "${@:-onmt joeynmt eole speechbrain}"; do
    for name in $kit; do
        if [ -f "$ROOT/$name/.installed" ]; then echo "$name: installed"; continue; fi
        echo "$name: installing into $ROOT/$name"
        "install_$name"
        touch "$ROOT/$name/.installed"
    done
done
