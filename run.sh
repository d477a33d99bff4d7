#!/usr/bin/env bash
# Set up and run ogc-server on a Debian machine.
#   ./run.sh serve   install what is needed, build the demo archive on the first run, serve :8080
#   ./run.sh test    install what is needed (with test tools) and run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=${OGC_SERVER_VENV:-.venv}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "need root for: $*" >&2; return 1; fi; }

debian_packages() {
  # Install the Debian packages that are missing (only on Debian-like systems).
  command -v apt-get >/dev/null || return 0
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

python_env() {
  local extras=$1
  if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then debian_packages python3-venv; fi
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  local stamp="$VENV/.installed-$extras"
  local want
  want=$(cat setup.cfg pyproject.toml | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[${extras}]"
    echo "$want" > "$stamp"
  fi
}

postgis_for_local_server() {
  # The tests run on PostgreSQL/PostGIS too: add PostGIS to the local PostgreSQL server.
  local major
  major=$(ls /usr/share/postgresql 2>/dev/null | sort -n | tail -1 || true)
  [ -n "$major" ] && debian_packages "postgresql-${major}-postgis-3"
}

case "${1:-}" in
  serve)
    shift
    python_env postgres
    exec "$VENV/bin/ogc-server" serve --demo-if-empty "$@"
    ;;
  test)
    shift
    debian_packages gdal-bin libxml2-utils curl wget unzip aria2
    postgis_for_local_server
    python_env dev
    exec "$VENV/bin/python" -m pytest -n "${OGC_SERVER_TEST_WORKERS:-2}" "$@"
    ;;
  *)
    echo "usage: ./run.sh serve [--port N] | ./run.sh test [pytest args]" >&2
    exit 2
    ;;
esac
