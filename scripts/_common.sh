# Shared by scripts/build-site and scripts/test: install what a fresh Debian machine lacks.
# Sourced, not run.  Everything is idempotent: a second run installs nothing.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# ensure_apt PACKAGE...: install the Debian packages that are missing.
ensure_apt() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_venv DIR EXTRAS [PIP-ARGS...]: a virtual environment with this project installed (editable).
ensure_venv() {
  local dir=$1 extras=$2
  shift 2
  if ! "$PYTHON" -c "import venv, ensurepip" >/dev/null 2>&1; then
    ensure_apt python3-venv python3-pip
  fi
  [ -x "$dir/bin/python" ] || "$PYTHON" -m venv "$dir"
  local stamp
  stamp="$dir/.installed-$extras-$({ cat pyproject.toml; echo "$*"; } | sha1sum | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    echo "==> installing sphinx-tc-ext[$extras] into $dir $*"
    "$dir/bin/python" -m pip install -q --upgrade pip
    "$dir/bin/python" -m pip install -q -e ".[$extras]" "$@"
    rm -f "$dir"/.installed-*
    touch "$stamp"
  fi
}
