#!/usr/bin/env bash
# Entrypoint of the local postgres:18 stand-in (containers/postgres/Containerfile): on the first
# start, initdb with POSTGRES_USER as superuser (password POSTGRES_PASSWORD, scram-sha-256 over
# TCP, trust on the local socket), then POSTGRES_DB created in single-user mode; every start runs
# the server as the postgres user, listening on all interfaces of the container.
set -euo pipefail

if [ "${1:-}" = "postgres" ] && [ "$(id -u)" = "0" ]; then
  mkdir -p "$PGDATA"
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
fi

if [ "${1:-}" = "postgres" ]; then
  user="${POSTGRES_USER:-postgres}"
  database="${POSTGRES_DB:-$user}"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
      echo "postgres entrypoint: POSTGRES_PASSWORD must be set" >&2
      exit 1
    fi
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    if [ "$database" != "postgres" ]; then
      # Single-user mode: no server is listening yet, so nothing can connect half-initialised.
      echo "CREATE DATABASE \"$database\" OWNER \"$user\";" | postgres --single -D "$PGDATA" -j postgres >/dev/null
    fi
    echo "postgres entrypoint: initialised $PGDATA (user $user, database $database)"
  fi
  shift
  exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql "$@"
fi

exec "$@"
