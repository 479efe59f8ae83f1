# H5 browser tests: playwright-core (driver only, no bundled browsers) pinned by
# test/browser/package-lock.json; the browser is Debian's /usr/bin/chromium (apt, above).
# Sourced by scripts/setup.sh; idempotent (does nothing when the lock is already installed).
BROWSER_DIR="$ROOT/test/browser"
if [ -f "$BROWSER_DIR/package-lock.json" ]; then
  want=$(cd "$BROWSER_DIR" && node -p "require('./package-lock.json').packages['node_modules/playwright-core'].version")
  have=$(cd "$BROWSER_DIR" && node -p "require('./node_modules/playwright-core/package.json').version" 2>/dev/null || true)
  if [ -z "$have" ] || [ "$have" != "$want" ]; then
    log "npm ci playwright-core@$want (test/browser)"
    (cd "$BROWSER_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund --ignore-scripts)
  fi
fi
