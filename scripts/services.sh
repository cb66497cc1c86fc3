#!/usr/bin/env bash
# Make sure the services the tests need are running: RabbitMQ, PostgreSQL, MariaDB.
# Starts any that is down with the command this kind of machine uses, waits with a bounded loop,
# and fails loudly (exit 1) when one cannot be reached. Never skips.
set -u

wait_for() { # name, seconds, command...
  local name=$1 limit=$2; shift 2
  local i=0
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -ge "$limit" ]; then
      echo "services: $name is not reachable after ${limit}s" >&2
      return 1
    fi
    sleep 1
  done
  echo "services: $name is up"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# An open port is not enough: a wedged broker accepts TCP but never answers the AMQP handshake.
amqp_answers() {
  timeout 10 python3 - <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", 5672), timeout=8)
s.sendall(b"AMQP\x00\x00\x09\x01")
frame = s.recv(7)
sys.exit(0 if frame[:1] == b"\x01" else 1)  # a method frame: connection.start
PY
}

restart_rabbitmq() {
  echo "services: RabbitMQ does not answer the AMQP handshake; restarting it" >&2
  pkill -9 -f rabbitmqctl 2>/dev/null || true
  pkill -9 -u rabbitmq beam.smp 2>/dev/null || true
  sleep 2
  rabbitmq-server -detached >/dev/null 2>&1 || true
}

rabbit_ok() { rabbitmqctl -q status >/dev/null 2>&1 || port_open 5672; }
pg_ok() { pg_isready -h 127.0.0.1 -p 5432 -q; }
maria_ok() { mariadb -h 127.0.0.1 -u root -e 'select 1' >/dev/null 2>&1 || port_open 3306; }

status=0
if ! port_open 5672; then
  echo "services: starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
fi
wait_for RabbitMQ 90 port_open 5672 || status=1
# the AMQP port opens a little before the broker accepts work; make sure it answers
if [ $status -eq 0 ] && ! wait_for "RabbitMQ (AMQP handshake)" 60 amqp_answers; then
  if [ "${CI:-}" = "true" ]; then
    restart_rabbitmq
    wait_for "RabbitMQ (after restart)" 120 amqp_answers || status=1
  else
    echo "services: restart RabbitMQ (rabbitmq-server -detached after stopping it)" >&2
    status=1
  fi
fi

if ! pg_ok; then
  echo "services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >/dev/null 2>&1 || true
fi
wait_for PostgreSQL 60 pg_ok || status=1

if ! port_open 3306; then
  echo "services: starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
fi
wait_for MariaDB 60 maria_ok || status=1

exit $status
