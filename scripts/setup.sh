#!/usr/bin/env bash
# Idempotent set-up: Debian packages, ONNX Runtime + face models from npm (sha256-pinned),
# node test clients, and Go-built helper servers. Safe to run again; does nothing when all present.
# Everything lands in $FACEVERIFY_DEPS (default: <repo>/.deps). Runtime never touches the network.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEPS=${FACEVERIFY_DEPS:-$ROOT/.deps}
mkdir -p "$DEPS"/{npm,lib,models,bin}
log() { printf '[setup] %s\n' "$*" >&2; }

# ---- Debian packages -------------------------------------------------------------------
APT_PKGS=(
  ffmpeg                      # test corpus and tools: encodes clips (the service decodes with the libraries below)
  libavformat-dev libavcodec-dev libavfilter-dev libavutil-dev   # media: frames + 16 kHz PCM decoded in process (cgo)
  libjpeg-dev                 # vision: JPEG decode / encode with libjpeg-turbo (cgo; 4–5× image/jpeg)
  tesseract-ocr tesseract-ocr-chi-sim libtesseract-dev libleptonica-dev    # idcard OCR
  pkg-config gcc
  espeak-ng sox               # test corpus: synthetic spoken digits
  fonts-noto-cjk fonts-wqy-microhei fonts-ocr-b   # synthetic ID cards
  chromium chromium-driver    # H5 browser tests
  postgresql                  # scale-out tests (throwaway cluster)
  ca-certificates sqlite3
)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- npm tarballs, pinned by sha256 ----------------------------------------------------
# fetch_npm NAME VERSION SHA256 -> prints the verified tarball path
fetch_npm() {
  local name=$1 ver=$2 sum=$3
  local file="$DEPS/npm/$(echo "$name" | sed 's#^@##; s#/#-#')-$ver.tgz"
  if [ -f "$file" ] && echo "$sum  $file" | sha256sum -c --status; then echo "$file"; return; fi
  log "npm pack $name@$ver"
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent --ignore-scripts "$name@$ver" >/dev/null)
  mv "$tmp"/*.tgz "$file"; rm -rf "$tmp"
  if ! echo "$sum  $file" | sha256sum -c --status; then
    log "sha256 mismatch for $name@$ver: got $(sha256sum "$file" | cut -d' ' -f1), want $sum"; rm -f "$file"; exit 1
  fi
  echo "$file"
}

ORT_VER=1.24.3
ORT_TGZ=$(fetch_npm onnxruntime-node $ORT_VER aa1bb5fa261ea68de05dd53efbba210cd7adf2d2850f4c3a201054c74cc78040)
if [ ! -f "$DEPS/lib/libonnxruntime.so.1" ] || [ "$ORT_TGZ" -nt "$DEPS/lib/libonnxruntime.so.1" ]; then
  tar -xzf "$ORT_TGZ" -C "$DEPS/lib" --strip-components=5 package/bin/napi-v6/linux/x64/libonnxruntime.so.1
  touch "$DEPS/lib/libonnxruntime.so.1"
fi

FR_TGZ=$(fetch_npm faceplugin-face-recognition-js 0.0.1 7ea06031d9a3f83753254fcff60506a07b81b46fc84d4ee024cd041f260ec1ba)
if [ ! -f "$DEPS/models/fr_feature.onnx" ] || [ "$FR_TGZ" -nt "$DEPS/models/fr_feature.onnx" ]; then
  tar -xzf "$FR_TGZ" -C "$DEPS/models" --strip-components=2 --wildcards 'package/model/*.onnx'
  touch "$DEPS/models"/*.onnx
fi

# ---- extra steps contributed by packages (scripts/setup.d/*.sh, sourced in order) -----
if [ -d "$ROOT/scripts/setup.d" ]; then
  for f in "$ROOT"/scripts/setup.d/*.sh; do [ -e "$f" ] && . "$f"; done
fi
log "ok ($DEPS)"
