#!/usr/bin/env bash
# Rebuild the digit model from ../shared/datasets/speech + espeak-ng voices (docs/speech.md).
# Dev-time only: needs Debian python3-torch python3-torchaudio python3-onnx python3-scipy,
# espeak-ng and ffmpeg. Caches in $SPEECH_CACHE (default /tmp/fv-speech-cache), never in the repo.
set -euo pipefail
cd "$(dirname "$0")"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1   # torch with 2 threads on a shared 2-core box is ~10x slower
PY=/usr/bin/python3
STEPS=${STEPS:-6000}
SEED=${SEED:-1234}
VERSION=${VERSION:-v1}
OUT=${SPEECH_CACHE:-/tmp/fv-speech-cache}/$VERSION
mkdir -p "$OUT"
nice -n 5 $PY split.py
nice -n 5 $PY codec_cache.py --shards 40 --seed 99          # codec round trips first: deterministic set
nice -n 5 $PY train.py --steps "$STEPS" --seed "$SEED" --out "$OUT" | tee "$OUT/log"
nice -n 5 $PY export.py "$OUT/best.pt" --version "$VERSION" --info "$OUT/train.json"
nice -n 5 $PY eval.py "$OUT/best.pt" --split val --split test --json "$OUT/eval.json" | tee "$OUT/eval.txt"
