#!/usr/bin/env bash
# Makes a PostgreSQL server and a test database available, serving TLS with
# a test CA, and exports STDREG_TEST_POSTGRES_URL and
# STDREG_TEST_POSTGRES_TLS_CA for the PostgreSQL store's tests.
# Meant to be sourced (so the export reaches the caller); running it directly
# prepares the server and prints the export line.
# Idempotent: every step checks before it acts.
set -euo pipefail

pg_step() { echo "postgres: $*"; }

pg_fail() {
    echo "postgres: error: $*" >&2
    return 1
}

pg_setup() {
    local db=stdreg_test role=stdreg_test password=stdreg_test

    if [[ -n "${STDREG_TEST_POSTGRES_URL:-}" ]]; then
        pg_step "STDREG_TEST_POSTGRES_URL is already set; using it as is"
        return 0
    fi

    if command -v psql >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null 2>&1 &&
        compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
        pg_step "server and client are installed"
    else
        pg_step "installing postgresql with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq postgresql >/dev/null
    fi

    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z "$version" ]]; then
        version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
        pg_step "creating cluster $version/main"
        pg_createcluster "$version" main >/dev/null
    fi

    local status="" port=""
    # pg_lsclusters columns: version cluster port status owner datadir logfile
    read -r _ _ port status _ < <(pg_lsclusters --no-header | awk -v v="$version" '$1 == v && $2 == "main"') || true
    if [[ -z "${port:-}" ]]; then
        pg_fail "no cluster $version/main found by pg_lsclusters"
        return 1
    fi
    if [[ "$status" == online* ]]; then
        pg_step "cluster $version/main is running on port $port"
    else
        pg_step "starting cluster $version/main on port $port"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start
    fi

    local tries=0
    until pg_isready -q -h 127.0.0.1 -p "$port"; do
        tries=$((tries + 1))
        if ((tries > 60)); then
            pg_fail "server on 127.0.0.1:$port not ready after 30 s; see /var/log/postgresql/postgresql-$version-main.log"
            return 1
        fi
        sleep 0.5
    done
    pg_step "server accepts connections on 127.0.0.1:$port"

    # Superuser access: over TCP where the server trusts local connections,
    # otherwise as the postgres OS user through the socket (peer auth).
    local -a admin
    if psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -w -Atqc 'SELECT 1' >/dev/null 2>&1; then
        admin=(psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -w -v ON_ERROR_STOP=1 -Atq)
        pg_step "administering as role postgres over tcp"
    elif runuser -u postgres -- psql -p "$port" -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
        admin=(runuser -u postgres -- psql -p "$port" -d postgres -v ON_ERROR_STOP=1 -Atq)
        pg_step "administering as os user postgres over the local socket"
    else
        pg_fail "cannot connect as superuser postgres (neither tcp trust nor local peer auth works)"
        return 1
    fi

    if [[ "$("${admin[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" == 1 ]]; then
        pg_step "role $role exists"
    else
        pg_step "creating role $role"
        "${admin[@]}" -c "CREATE ROLE $role LOGIN PASSWORD '$password'"
    fi

    if [[ "$("${admin[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" == 1 ]]; then
        pg_step "database $db exists"
    else
        pg_step "creating database $db owned by $role"
        "${admin[@]}" -c "CREATE DATABASE $db OWNER $role"
    fi

    export STDREG_TEST_POSTGRES_URL="postgres://$role:$password@127.0.0.1:$port/$db"
    if ! psql "$STDREG_TEST_POSTGRES_URL" -w -Atqc 'SELECT 1' >/dev/null; then
        pg_fail "role $role cannot log in to $db over tcp; check pg_hba.conf"
        return 1
    fi
    pg_step "export STDREG_TEST_POSTGRES_URL=postgres://$role:***@127.0.0.1:$port/$db"

    pg_tls "$port"
}

# Serves TLS with a certificate for localhost and 127.0.0.1 signed by a CA
# of our own, and exports STDREG_TEST_POSTGRES_TLS_CA (the CA's file) so the
# store's TLS test can connect with sslmode=verify-full.
pg_tls() {
    local port=$1
    local dir=/var/lib/postgresql/stdreg-test-tls
    if ! command -v openssl >/dev/null 2>&1; then
        pg_step "installing openssl with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
    fi
    if [[ -f "$dir/ca.pem" && -f "$dir/server.pem" ]] &&
        openssl verify -CAfile "$dir/ca.pem" "$dir/server.pem" >/dev/null 2>&1 &&
        openssl x509 -in "$dir/server.pem" -noout -checkend 86400 >/dev/null 2>&1; then
        pg_step "TLS certificate in $dir is valid"
    else
        pg_step "making a test CA and a server certificate for localhost in $dir"
        install -d -m 0755 "$dir"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=stdreg test CA" \
            -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
            -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$dir/server.ext"
        openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
            -CAcreateserial -days 3650 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
        chmod 0644 "$dir/ca.pem" "$dir/server.pem"
        chmod 0600 "$dir/server.key" "$dir/ca.key"
        chown postgres:postgres "$dir/server.key" "$dir/server.pem"
    fi
    local current
    current=$("${admin[@]}" -c "SHOW ssl_cert_file")
    if [[ "$current" != "$dir/server.pem" ]] || [[ "$("${admin[@]}" -c "SHOW ssl")" != on ]]; then
        pg_step "serving TLS with $dir/server.pem"
        "${admin[@]}" -c "ALTER SYSTEM SET ssl_cert_file = '$dir/server.pem'"
        "${admin[@]}" -c "ALTER SYSTEM SET ssl_key_file = '$dir/server.key'"
        "${admin[@]}" -c "ALTER SYSTEM SET ssl = on"
        "${admin[@]}" -c "SELECT pg_reload_conf()" >/dev/null
        sleep 1
    fi
    if ! psql "host=localhost port=$port dbname=stdreg_test user=stdreg_test password=stdreg_test sslmode=verify-full sslrootcert=$dir/ca.pem" \
        -w -Atqc 'SELECT 1' >/dev/null; then
        pg_fail "the server does not accept a verify-full TLS connection; see /var/log/postgresql/"
        return 1
    fi
    export STDREG_TEST_POSTGRES_TLS_CA="$dir/ca.pem"
    pg_step "export STDREG_TEST_POSTGRES_TLS_CA=$dir/ca.pem"
}

if (return 0 2>/dev/null); then
    pg_setup
else
    pg_setup
    echo "export STDREG_TEST_POSTGRES_URL=$STDREG_TEST_POSTGRES_URL"
    echo "export STDREG_TEST_POSTGRES_TLS_CA=${STDREG_TEST_POSTGRES_TLS_CA:-}"
fi
