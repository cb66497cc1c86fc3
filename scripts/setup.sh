#!/usr/bin/env bash
# Install what the project needs on a fresh Debian machine: PHP from Debian's packages and a
# Python virtual environment with the project. Safe to run again; fast when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PHP_PACKAGES="php-cli php-amqplib phpunit php-sqlite3 php-mysql php-mbstring"
# docker-compose (v1, Debian) only checks that docker-compose.yml stays valid in the tests
EXTRA_PACKAGES="docker-compose chromium chromium-driver"  # chromium + driver: the settings page browser test
missing=""
for p in $PHP_PACKAGES $EXTRA_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing Debian packages:$missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  echo "setup: installing the project into .venv"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi
echo "setup: ready (.venv/bin/hfexact, php $(php -r 'echo PHP_VERSION;'))"
