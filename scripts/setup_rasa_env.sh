#!/usr/bin/env bash
# Create or refresh the Rasa environment (<repo>/.venv-rasa) from requirements/rasa.lock.
#
# Rasa 3.6.21 / rasa-sdk 3.6.2 declare Requires-Python <3.11; the recipe in
# ../shared/rasa-py311/README.md installs their 3.10-resolved dependency set on Python 3.11:
# every pinned dependency first (--no-deps: the lock is complete), then the two Rasa packages
# with --no-deps --ignore-requires-python.
#
# Idempotent: a stamp file inside the venv holds the sha256 of the lock it was built from;
# when it matches and rasa imports, the script exits at once. Otherwise the venv is rebuilt
# from scratch (pip's cache keeps that quick), so it never keeps packages the lock dropped.
#
# Environment: PYTHON (default python3) chooses the interpreter; RASA_VENV overrides the path.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${RASA_VENV:-$repo_root/.venv-rasa}"
lock="$repo_root/requirements/rasa.lock"
stamp="$venv/.rasa-lock.sha256"
python="${PYTHON:-python3}"

if [[ ! -f "$lock" ]]; then
    echo "setup_rasa_env: lock file not found: $lock" >&2
    exit 1
fi

want="$(sha256sum "$lock" | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
    && "$venv/bin/python" -c "import rasa, rasa_sdk" >/dev/null 2>&1; then
    echo "setup_rasa_env: $venv is up to date with requirements/rasa.lock"
    exit 0
fi

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 10) else 1)'; then
    echo "setup_rasa_env: $python is older than 3.10; Rasa 3.6 needs 3.10 (or 3.11 with this recipe)" >&2
    exit 1
fi

echo "setup_rasa_env: building $venv from requirements/rasa.lock (about 4 minutes from nothing)"
# A venv built from another lock (or half built) is made anew, so it holds exactly the lock.
if [[ -e "$venv" ]]; then
    if [[ ! -f "$venv/pyvenv.cfg" ]]; then
        echo "setup_rasa_env: $venv exists but is not a virtualenv; not touching it" >&2
        exit 1
    fi
    rm -rf "$venv"
fi
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip

deps="$(mktemp)"
trap 'rm -f "$deps"' EXIT
# Everything but the two Rasa packages (and comments / blank lines).
grep -vE '^\s*(#|$)' "$lock" | grep -viE '^(rasa|rasa-sdk|rasa_sdk)==' > "$deps"
rasa_pins="$(grep -iE '^(rasa|rasa-sdk|rasa_sdk)==' "$lock" | tr '\n' ' ')"
if [[ "$(wc -w <<<"$rasa_pins")" -ne 2 ]]; then
    echo "setup_rasa_env: requirements/rasa.lock must pin exactly rasa and rasa-sdk" >&2
    exit 1
fi

"$venv/bin/python" -m pip install --quiet --no-deps -r "$deps"
# shellcheck disable=SC2086  # two pins, split on purpose
"$venv/bin/python" -m pip install --quiet --no-deps --ignore-requires-python $rasa_pins

"$venv/bin/python" -c "import rasa, rasa_sdk; print('setup_rasa_env: rasa', rasa.__version__)"
echo "$want" > "$stamp"
echo "setup_rasa_env: done ($venv)"
