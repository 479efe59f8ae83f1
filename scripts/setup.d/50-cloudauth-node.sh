# Sourced by scripts/setup.sh ($ROOT, $DEPS, log): the official Alibaba Cloud Node SDK for the
# Cloudauth compatibility test (httpapi/cloudauth_node_test.go runs test/node/cloudauth.mjs).
# Installs exactly test/node/package-lock.json into test/node/node_modules (gitignored);
# does nothing when the installed tree matches the lock file.
(
  cd "$ROOT/test/node" || exit 1
  stamp=node_modules/.faceverify-lock.sha256
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d node_modules/@alicloud/cloudauth20190307 ]; then
    exit 0
  fi
  log "npm ci (test/node: @alicloud/cloudauth20190307)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" > "$stamp"
) || { log "test/node: npm ci failed"; exit 1; }
