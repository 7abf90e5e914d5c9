#!/usr/bin/env bash
# Starts what the tests need and is not running: Redis 7 (6379), NATS with JetStream (4222), and
# Debian's Chromium for the browser tests. Idempotent; safe on a machine where all are up.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 100); do port_open "$1" && return 0; sleep 0.1; done
  echo "ensure-services: nothing answers on 127.0.0.1:$1 after 10 s" >&2
  return 1
}
apt_install() {
  if [ -z "${apt_updated:-}" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! port_open 6379; then
  command -v redis-server >/dev/null || apt_install redis-server
  echo "ensure-services: starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_port 6379
fi

if ! port_open 4222; then
  nats=$(command -v nats-server || echo /usr/sbin/nats-server)
  [ -x "$nats" ] || { apt_install nats-server; nats=$(command -v nats-server || echo /usr/sbin/nats-server); }
  echo "ensure-services: starting nats-server with JetStream on 127.0.0.1:4222"
  store=$(mktemp -d)
  nohup "$nats" -a 127.0.0.1 -p 4222 -js -sd "$store" >"$store/nats.log" 2>&1 &
  wait_port 4222
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "ensure-services: installing Debian's chromium for the browser tests"
  apt_install chromium
fi

if [ ! -x /usr/sbin/nginx ]; then
  echo "ensure-services: installing Debian's nginx for the deployment tests (tests/deployment starts its own)"
  apt_install nginx
fi
