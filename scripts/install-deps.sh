#!/usr/bin/env bash
# Installs what `make run` and `make test` need on a fresh Debian machine:
# Chromium for the browser tests, Node's packages for the clients, and
# PostgreSQL's server binaries for the suites run against PostgreSQL and
# HAProxy for the cluster's load-balancer test (docs/deploy-cluster.md;
# `make run` itself needs neither: a clinic runs on SQLite).
# Idempotent: it does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need_apt+=(postgresql)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need_apt+=(haproxy)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "install-deps: installing ${need_apt[*]} from Debian"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ -f clients/package-lock.json ]; then
  stamp=clients/node_modules/.haven-lock
  if [ ! -f "$stamp" ] || ! cmp -s clients/package-lock.json "$stamp"; then
    echo "install-deps: npm ci (clients)"
    (cd clients && npm ci --no-audit --no-fund --loglevel=error)
    cp clients/package-lock.json "$stamp"
  fi
fi
