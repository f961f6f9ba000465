# Sourced by the scripts that install Debian packages when they are missing (setup, the bench
# corpora): apt_install WHO PACKAGE... installs the packages, without asking, as root or through
# a password-less sudo; it does nothing when no package is given. WHO prefixes the messages.
apt_install() {
  local who="$1"; shift
  [ $# -gt 0 ] || return 0
  echo "$who: installing $*" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
      echo "$who: need root (or sudo) to apt-get install $*" >&2; return 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
