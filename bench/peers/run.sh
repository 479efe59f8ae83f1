#!/bin/sh
# Installs the peer (npm, pinned in package.json) and runs it on the LFW dev pairs, then runs
# faceverify's own evaluation on the same pairs with one worker for a like-for-like speed figure.
# Usage: bench/peers/run.sh [extra args for the peer, e.g. --limit 200]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pairs=${PAIRS:-$root/../shared/datasets/faces/lfw-dev/pairs-dev.txt}
cd "$here"
[ -d node_modules/@vladmandic/face-api ] || npm install --no-audit --no-fund --ignore-scripts
echo "# peer"
node face-api-pairs.js --pairs "$pairs" "$@"
echo "# faceverify (1 worker, 1 thread)"
cd "$root" && go run ./vision/cmd/vision compare --summary-only --pick central --workers 1 --pairs "$pairs"
