#!/usr/bin/env bash
# Makes sure a Redis answers at REDIS_URL (default redis://127.0.0.1:6379/0). When REDIS_URL
# was given, it is someone else's server: we only check it. Otherwise we start the system
# redis-server on loopback (no persistence) if nothing answers yet.
set -euo pipefail

url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
hostport="${url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=6379

ping() { redis-cli -h "$host" -p "$port" ping 2>/dev/null | grep -q PONG; }

ping && exit 0
if [ -n "${REDIS_URL:-}" ]; then
  echo "No Redis answers at REDIS_URL=$REDIS_URL. Start it, or unset REDIS_URL to use a local one." >&2
  exit 1
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server is not installed. Install it once with:  sudo apt-get install -y redis-server" >&2
  exit 1
fi
mkdir -p .run
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
  --dir "$PWD/.run" --pidfile "$PWD/.run/redis.pid" --logfile "$PWD/.run/redis.log"
for _ in $(seq 50); do ping && { echo "Started a local Redis on $host:$port"; exit 0; }; sleep 0.1; done
echo "Redis did not start; see .run/redis.log" >&2
exit 1
