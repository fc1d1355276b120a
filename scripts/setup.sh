#!/usr/bin/env bash
# Install whatever is missing, and nothing else: Debian packages, then the locked Python
# environment(s). Idempotent and quick when everything is in place.
#   scripts/setup.sh            the assistant's environment (.venv)
#   scripts/setup.sh --rasa     also Rasa's own environment (.venv-rasa)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
LOCK=requirements/app.lock

install_debian_packages() {
  local missing=()
  while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done < requirements/debian.txt
  ((${#missing[@]} == 0)) && return 0
  echo "setup: installing Debian packages: ${missing[*]}"
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_venv() {
  local stamp="$VENV/.lock-sha256"
  local want
  want="$(sha256sum "$LOCK" | cut -d' ' -f1) $($PYTHON -c 'import sys; print(sys.version.split()[0])')"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  echo "setup: building $VENV from $LOCK"
  [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q --no-deps -r "$LOCK"
  "$VENV/bin/python" -m pip check >/dev/null
  echo "$want" > "$stamp"
}

install_debian_packages
install_venv
if [[ "${1:-}" == "--rasa" && -x scripts/setup_rasa_env.sh ]]; then
  scripts/setup_rasa_env.sh
fi
