#!/usr/bin/env bash
# Debian packages some tests use: real Fashion-MNIST files, a PostgreSQL server and a
# headless Chromium. Installs only what is missing, and only where apt-get can run as
# root; elsewhere it says what is missing and those tests skip with the reason.
set -uo pipefail
missing=()
[ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || echo "could not install some of: ${missing[*]} (their tests will skip)" >&2
else
  echo "not installed: ${missing[*]} (run as root: apt-get install ${missing[*]}); their tests skip" >&2
fi
exit 0
