#!/usr/bin/env bash
# Records what the TUI's snapshot tests replay: five polls of the lab's ntp1 (ntpd 4.2.8p15),
# ntp2 (NTPsec 1.2.2) and ntp3 (ntpd 4.2.8p15), 17 s apart, as ntpq's raw output of the
# answers the TUI's poller asks for (readvar 0, readvar 0 ss_uptime, readvar of each
# association), and ntp1's MRU list after a burst from a link-local address (which ntp1
# rate-limits: `restrict default kod limited`).
#
#   ntpq/src/tui/testdata/capture.sh   # from the repository root, with the lab up
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
root=$(git rev-parse --show-toplevel)
lab="$root/target/debug/ntpkit-lab"
ntpq="$root/target/debug/ntpq"
for h in 1 2 3; do : >"ntp$h.txt"; done
for round in 1 2 3 4 5; do
    for h in 1 2 3; do
        {
            printf '=== poll %s\n' "$(date +%s)"
            "$lab" exec client -- "$ntpq" -n -c raw -c "rv 0" -c "rv 0 ss_uptime" -c "rv &1" "10.77.0.$h" |
                grep -v '^Output set to raw'
        } >>"ntp$h.txt"
    done
    [ "$round" -eq 5 ] || sleep 17
done
ll=$("$lab" exec ntp1 -- ip -6 addr show scope link | awk '/inet6/ { sub(/\/.*/, "", $2); print $2; exit }')
"$lab" exec client -- python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(0.2)
for _ in range(12):
    s.sendto(bytes([0x23]) + bytes(47), (sys.argv[1], 123, 0, 2))
    try:
        s.recvfrom(512)
    except socket.timeout:
        pass
' "$ll"
"$lab" exec client -- "$ntpq" -n --json -c mrulist 10.77.0.1 >ntp1-mru.json
