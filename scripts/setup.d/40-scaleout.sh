# Scale-out test engines (sourced by scripts/setup.sh; $DEPS and log() come from there).
# PostgreSQL 15 is an apt package of setup.sh. versitygw (Apache-2.0) is the S3-compatible
# server the blob/s3 tests and the scale proof start on a loopback port.
VERSITYGW_VER=v1.8.0
if [ ! -x "$DEPS/bin/versitygw" ] || [ "$(cat "$DEPS/bin/.versitygw.version" 2>/dev/null)" != "$VERSITYGW_VER" ]; then
  log "go install versitygw@$VERSITYGW_VER"
  GOBIN="$DEPS/bin" CGO_ENABLED=0 go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VER"
  echo "$VERSITYGW_VER" > "$DEPS/bin/.versitygw.version"
fi
