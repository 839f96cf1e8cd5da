#!/usr/bin/env bash
# Regenerates the golden captures in common/tests/data/captures/ from a running lab
# (`ntpkit-lab up`). Each .hex file holds one reply datagram per line, in arrival order.
# The requests are written out by hand here so that the captures do not depend on the code
# they test. See PROVENANCE.md for what each file is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
lab=${NTPKIT_LAB_BIN:-../../../target/debug/ntpkit-lab}
out=captures
mkdir -p "$out"

probe() { # probe NAME ADDR HEX COUNT
    "$lab" exec client -- "$lab" probe --to="$2:123" --hex="$3" --count="$4" --timeout-ms=1500 \
        | awk '$1 == "reply" { print $4 }' > "$out/$1.hex"
    echo "$1: $(wc -l < "$out/$1.hex") datagram(s)"
}

zeros() { printf '%0*d' $(($1 * 2)) 0; }

mode6_readstat=160100010000000000000000
mode6_readvar_sys=160200020000000000000000
# READVAR assoc 0 "nosuchvar" (count 9, padded to 24 octets).
mode6_unknownvar=160200030000000000000009$(printf 'nosuchvar' | od -An -tx1 | tr -d ' \n')000000
mode6_nonce=160c00040000000000000000
# Mode 7, implementation 3, unauthenticated 192-octet requests (protocol notes E4).
mode7() { printf '170003%02x00000000%s' "$1" "$(zeros 184)"; }
# Mode 3, VN 4, as ntpdate sends it; transmit e4a1b2c3.12345678.
mode3=e30003fa0001000000010000$(zeros 28)e4a1b2c312345678

for host in ntpd:10.77.0.1 ntpsec:10.77.0.2; do
    name=${host%%:*} addr=${host#*:}
    probe "$name-mode6-readstat" "$addr" "$mode6_readstat" 4
    probe "$name-mode6-readvar-system" "$addr" "$mode6_readvar_sys" 8
    probe "$name-mode6-unknownvar" "$addr" "$mode6_unknownvar" 1
    probe "$name-mode6-nonce" "$addr" "$mode6_nonce" 1
    # The first association of the READSTAT answer: data starts at octet 12.
    assoc=$(head -n1 "$out/$name-mode6-readstat.hex" | cut -c25-28)
    probe "$name-mode6-readvar-peer" "$addr" "160200050000${assoc}00000000" 8
    probe "$name-mode3" "$addr" "$mode3" 1
done
probe ntpd-mode7-peer-list-sum 10.77.0.1 "$(mode7 1)" 8
probe ntpd-mode7-sys-info 10.77.0.1 "$(mode7 4)" 8
probe ntpd-mode7-mon-getlist-1 10.77.0.1 "$(mode7 42)" 8
