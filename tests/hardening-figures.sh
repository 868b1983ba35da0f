#!/bin/sh
# The Hardening issue's reproduced defects (1-5, 7), measured on two builds of the CLI side by
# side: exit status, wall seconds and peak memory (GNU time), and what reached the terminal or
# the disk. Run inside a keyring session (the WAL case stores a token):
#
#   cargo build -p patchbay-cli -p patchbay-tests --bins
#   HOME=$(mktemp -d) dbus-run-session -- sh -c "printf patchbay-ci | gnome-keyring-daemon \
#       --unlock --components=secrets >/dev/null && sh tests/hardening-figures.sh \
#       BEFORE_PATCHBAY target/debug/patchbay"
#
# BEFORE_PATCHBAY is a `patchbay` built from a commit before the fixes (8124097). Defect 6 is in
# the app's monitor settings, not the CLI; its unit test is status::tests.
set -u
peer_bin=${PEER:-target/debug/hostile-peer}
scratch=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$scratch"' EXIT
peer_pid=

start_peer() { # KIND [ARGS]: sets $url and $peer_pid
    rm -f "$scratch/peer.url"
    "$peer_bin" "$@" > "$scratch/peer.url" &
    peer_pid=$!
    for _ in $(seq 50); do [ -s "$scratch/peer.url" ] && break; sleep 0.1; done
    url=$(cat "$scratch/peer.url")
}
stop_peer() { kill "$peer_pid" 2>/dev/null; wait "$peer_pid" 2>/dev/null; }

measure() { # LABEL CLI DATA_DIR ARGS... -> one line: exit, seconds, peak KiB
    label=$1; cli=$2; dir=$3; shift 3
    /usr/bin/time -f "%x %e %M" -o "$scratch/time" "$cli" --data-dir "$dir" "$@" \
        > "$scratch/out" 2> "$scratch/err"
    # GNU time writes "Command exited with non-zero status N" first when it is not 0.
    read -r code seconds kib <<EOT
$(tail -n 1 "$scratch/time")
EOT
    printf '%-28s exit %-4s %6ss  peak %6s MiB\n' "$label" "$code" "$seconds" "$((kib / 1024))"
}

for build in before after; do
    if [ "$build" = before ]; then cli=$1; else cli=$2; fi
    echo "== $build: $cli"
    export PATCHBAY_KEYCHAIN_SERVICE="dev.patchbay.figures.$build.$$"

    # 1. Legacy HTTP+SSE: an endless event (one line without end; lines without a blank line).
    for kind in endless-line endless-lines; do
        start_peer "$kind"
        measure "1 $kind (--timeout 20)" "$cli" "$scratch/$build-1-$kind" \
            --timeout 20 connector add --name Endless --url "$url"
        stop_peer
    done

    # 2. Control sequences from a server reaching the terminal.
    start_peer escapes
    dir="$scratch/$build-2"
    "$cli" --data-dir "$dir" connector add --name Evil --url "$url" > "$scratch/2" 2>&1 \
        || echo "2 (the add failed: $(tail -n 2 "$scratch/2"))"
    for args in "connector show Evil" "tools Evil" "call Evil evil" "call Evil fail"; do
        # shellcheck disable=SC2086
        "$cli" --data-dir "$dir" $args >> "$scratch/2" 2>&1
    done
    escapes=$(tr -cd '\033\007' < "$scratch/2" | wc -c)
    echo "2 escapes                    ESC/BEL bytes printed: $escapes"
    stop_peer

    # 3. File modes in an existing 0755 data directory.
    dir="$scratch/$build-3"; mkdir -m 755 "$dir"
    "$cli" --data-dir "$dir" connector add --name Plain --url http://127.0.0.1:9/mcp \
        --skip-test > /dev/null 2>&1
    modes=$(cd "$dir" && stat -c '%n %a' patchbay.db* | tr '\n' ' ')
    echo "3 file modes                 $modes"

    # 4. A credential in the URL's query.
    dir="$scratch/$build-4"; key=SNTL-figures-query-key
    "$cli" --data-dir "$dir" connector add --name Keyed \
        --url "http://127.0.0.1:9/mcp?api_key=$key" --skip-test > "$scratch/4" 2>&1 \
        || echo "4 (the add failed: $(cat "$scratch/4"))"
    for args in "connector list" "connector list --json" "connector show Keyed"; do
        # shellcheck disable=SC2086
        "$cli" --data-dir "$dir" $args >> "$scratch/4" 2>&1
    done
    shown=$(grep -c "$key" "$scratch/4")
    stored=$(cat "$dir"/patchbay.db* | grep -c -a "$key")
    echo "4 query credential           lines showing it: $shown, data files holding it: $stored"

    # 5. A deleted token's ciphertext while another process holds the database open.
    dir="$scratch/$build-5"
    printf 'token-for-the-wal-figure\n' | "$cli" --data-dir "$dir" connector add --name Gone \
        --url http://127.0.0.1:9/mcp --auth token --token-stdin --skip-test > "$scratch/5.add" 2>&1 \
        || echo "5 (the add failed: $(cat "$scratch/5.add"))"
    python3 - "$dir/patchbay.db" "$scratch/5" <<'EOF' &
import sqlite3, sys, time
held = sqlite3.connect(sys.argv[1])
blob = held.execute("SELECT ciphertext FROM secrets").fetchone()[0]
open(sys.argv[2], "wb").write(blob)
time.sleep(4)
EOF
    holder=$!
    sleep 1
    "$cli" --data-dir "$dir" connector remove Gone > /dev/null 2>&1
    left=$(python3 - "$dir/patchbay.db" "$scratch/5" <<'EOF'
import sys
blob = open(sys.argv[2], "rb").read()
print(sum(open(sys.argv[1] + suffix, "rb").read().count(blob)
          for suffix in ("", "-wal") if __import__("os").path.exists(sys.argv[1] + suffix)))
EOF
)
    echo "5 deleted ciphertext         copies left in db + wal: $left"
    wait "$holder" 2>/dev/null

    # 7. --timeout 10 against a server slow at every step.
    start_peer slow-steps 8
    measure "7 slow steps (--timeout 10)" "$cli" "$scratch/$build-7" \
        --timeout 10 connector add --name Slow --url "$url"
    stop_peer
done
