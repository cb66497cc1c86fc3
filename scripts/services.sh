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
if [ $status -eq 0 ] && command -v rabbitmqctl >/dev/null; then
  wait_for "RabbitMQ (app)" 60 rabbitmqctl -q await_startup || status=1
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
