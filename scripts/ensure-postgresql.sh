#!/usr/bin/env bash
# The PostgreSQL tests need only the server programs (a throwaway server is started by the
# test fixture, tests/stores.py). Install Debian's postgresql-15 when they are missing.
set -euo pipefail
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15
fi
