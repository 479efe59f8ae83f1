# Mini-program tests: miniprogram-simulate + jsdom, pinned by miniprogram/package-lock.json
# (node_modules is gitignored). Sourced by scripts/setup.sh ($ROOT, log); idempotent: does
# nothing when node_modules was installed from the same lock (stamp = the lock's sha256).
MP_DIR="$ROOT/miniprogram"
if [ -f "$MP_DIR/package-lock.json" ]; then
  mp_want=$(sha256sum "$MP_DIR/package-lock.json" | cut -d' ' -f1)
  mp_have=$(cat "$MP_DIR/node_modules/.faceverify-lock.sha256" 2>/dev/null || true)
  if [ "$mp_want" != "$mp_have" ] || [ ! -d "$MP_DIR/node_modules/miniprogram-simulate" ]; then
    log "npm ci (miniprogram: miniprogram-simulate, jsdom)"
    (cd "$MP_DIR" && npm ci --silent --no-audit --no-fund --ignore-scripts)
    echo "$mp_want" > "$MP_DIR/node_modules/.faceverify-lock.sha256"
  fi
fi
