#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for a whole run of the test suite, in a directory of the caller's choosing.
#
#   scripts/postgres.sh start DIR   initdb in DIR/data (when DIR has no cluster yet), start it, and print its URL,
#                                   postgres://epki@127.0.0.1:PORT/postgres, as the only line on stdout
#                                   (progress goes to stderr; the server's log is DIR/server.log)
#   scripts/postgres.sh url DIR     print the URL of the cluster in DIR again
#   scripts/postgres.sh stop DIR    stop it (fast shutdown); DIR stays, and `start DIR` starts it again
#
# The suite's second run then points at it, and the cluster is stopped whatever happens, e.g.:
#
#   pg_dir=$(mktemp -d)                                   # under /tmp: as root, the server runs as `nobody`
#   trap 'bash scripts/postgres.sh stop "$pg_dir"; rm -rf "$pg_dir"' EXIT
#   EPKI_TEST_POSTGRES=$(bash scripts/postgres.sh start "$pg_dir") swift test --skip-build
#
# The same rules as the tests' TestSupport.PrivatePostgres: the superuser `epki` (initdb -U epki), `trust` on the
# unix socket (in DIR) and on 127.0.0.1 only, listening on 127.0.0.1 on a free port, fsync and synchronous_commit
# on. PostgreSQL refuses to run as root: as root, DIR is given to `nobody` and initdb, pg_ctl and the server run as
# it through util-linux's setpriv (so DIR must be reachable by nobody: /tmp is, /root is not). libfaketime and the
# PG* variables of libpq are taken out of the environment: the database runs on the machine's real clock.
# PostgreSQL 15 comes from Debian's postgresql and postgresql-client packages (scripts/setup.sh installs them).
set -euo pipefail

bin=/usr/lib/postgresql/15/bin
superuser=epki

usage() {
    echo "usage: $0 start|stop|url DIR" >&2
    exit 2
}
fail() {
    echo "postgres.sh: $*" >&2
    exit 1
}

[ $# -eq 2 ] || usage
command=$1
dir=$2

unset LD_PRELOAD
for name in $(compgen -e); do
    case $name in FAKETIME* | PG*) unset "$name" ;; esac
done
export LC_ALL=C.UTF-8

# Runs a server program as the server's user: nobody when we are root, else ourselves.
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
    else
        "$@"
    fi
}

url_of() {
    echo "postgres://$superuser@127.0.0.1:$1/postgres"
}

is_running() {
    [ -f "$dir/data/postmaster.pid" ] && as_server "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# Whether something accepts connections on 127.0.0.1:PORT.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

initialize() {
    mkdir -p "$dir"
    chmod 700 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown nobody:nogroup "$dir"
        as_server test -w "$dir" || fail "nobody cannot write to $dir (the server runs as nobody under root): choose a directory under /tmp"
    fi
    as_server "$bin/initdb" -D "$dir/data" -U "$superuser" -A trust -E UTF8 --locale=C.UTF-8 --no-instructions \
        >"$dir/initdb.log" 2>&1 || fail "initdb failed: $(tail -n 20 "$dir/initdb.log")"
    # The port is given at start (-o -p) and kept in DIR/port; everything else is here.
    as_server tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF

# scripts/postgres.sh: a private cluster for the test suite
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
full_page_writes = on
# the whole suite runs its tests in parallel, each store with a pool of its own
max_connections = 500
shared_buffers = 128MB
logging_collector = off
EOF
    as_server tee "$dir/data/pg_hba.conf" >/dev/null <<EOF
# scripts/postgres.sh: trust on the unix socket and 127.0.0.1 only
local   all             all                     trust
host    all             all     127.0.0.1/32    trust
local   replication     all                     trust
host    replication     all     127.0.0.1/32    trust
EOF
}

# Starts the server on PORT; returns 1 when the port was taken (so another can be tried), fails otherwise.
start_on() {
    local port=$1
    local before=0
    [ -f "$dir/server.log" ] && before=$(wc -l <"$dir/server.log")
    # The server is left running: it must not keep the caller's descriptors (a `$(…)` pipe, faketime's wrapper,
    # which waits for every holder of its pipe) open, so everything past stderr is closed for it.
    if (
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
        done
        as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "-p $port" start >&2
    ); then
        echo "$port" >"$dir/port"
        return 0
    fi
    if tail -n +"$((before + 1))" "$dir/server.log" 2>/dev/null | grep -qE "could not bind|Address already in use"; then
        return 1
    fi
    fail "PostgreSQL did not start in $dir; the end of $dir/server.log:
$(tail -n 30 "$dir/server.log" 2>/dev/null)"
}

case $command in
start)
    [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] && [ -x "$bin/psql" ] ||
        fail "PostgreSQL 15 is not installed ($bin): run scripts/setup.sh (Debian packages postgresql and postgresql-client)"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    cd "$dir"   # the server programs run as nobody under root: a working directory they can reach
    if is_running; then
        url_of "$(cat "$dir/port")"
        exit 0
    fi
    [ -f "$dir/data/PG_VERSION" ] || initialize
    started=
    if [ -f "$dir/port" ] && ! port_in_use "$(cat "$dir/port")"; then
        start_on "$(cat "$dir/port")" && started=yes
    fi
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [ -z "$started" ] || break
        port=$((20000 + RANDOM % 40000))
        port_in_use "$port" && continue
        start_on "$port" && started=yes
    done
    [ -n "$started" ] || fail "no free port found for PostgreSQL"
    port=$(cat "$dir/port")
    # A client nobody here wrote, through the same door the suite will use.
    "$bin/psql" -X -At -h 127.0.0.1 -p "$port" -U "$superuser" -d postgres -c "SELECT 1" >/dev/null ||
        fail "the server runs but psql cannot reach it on 127.0.0.1:$port"
    url_of "$port" | tee "$dir/url"
    ;;
url)
    [ -f "$dir/url" ] || fail "no cluster started in $dir"
    cat "$dir/url"
    ;;
stop)
    [ -d "$dir" ] || fail "no directory $dir"
    dir=$(cd "$dir" && pwd)
    cd "$dir"
    if is_running; then
        as_server "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2
    else
        echo "postgres.sh: no server running in $dir" >&2
    fi
    ;;
*)
    usage
    ;;
esac
