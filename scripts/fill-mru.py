#!/usr/bin/env python3
"""Fill an ntpd's MRU list: one NTP client request (mode 3) from each of COUNT distinct source
addresses of the lab client's pools, to SERVER port 123 (SERVER6 for IPv6 sources).

Run it in the lab's client namespace, which owns the pools:
    ntpkit-lab exec client -- python3 scripts/fill-mru.py SERVER COUNT [FIRST [SERVER6]]
Source address number i is 10.78.0.0 + i below 65536, else fd78:: + (i - 65535). FIRST (default
0) is the first i: callers that need clients the daemon has never seen (ntpd keeps the local
address an entry was created with, so `mrulist laddr=` lists exactly the clients sent to that
address only if they are new) pick a fresh IPv6 range. Prints the number of requests sent.
"""
import ipaddress
import socket
import sys
import time


def source(i):
    if i < 65536:
        return socket.AF_INET, str(ipaddress.IPv4Address(0x0A4E0000 + i))
    return socket.AF_INET6, str(ipaddress.IPv6Address((0xFD78 << 112) + i - 65536 + 1))


def main():
    server, count = sys.argv[1], int(sys.argv[2])
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    v6_server = None
    request = bytes([0x23]) + bytes(47)  # LI 0, VN 4, mode 3
    sent = 0
    # Twice: a request the daemon dropped (its receive buffer overflows on a busy machine)
    # makes its entry the second time; one that made it only gets a count of 2.
    for i in list(range(first, first + count)) * 2:
        family, addr = source(i)
        if family == socket.AF_INET6 and v6_server is None:
            v6_server = sys.argv[4] if len(sys.argv) > 4 else None
            if v6_server is None:
                sys.exit("more than 65536 clients need the server's IPv6 address as 4th argument")
        target = server if family == socket.AF_INET else v6_server
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            if family == socket.AF_INET6:
                # The IPv6 pool is a local route, not an address: bind needs IP_FREEBIND.
                s.setsockopt(socket.SOL_IP, 15, 1)
            s.bind((addr, 0))
            s.sendto(request, (target, 123))
        sent += 1
        if sent % 32 == 0:
            # Bursts overflow the daemon's receive buffer: let it drain.
            time.sleep(0.003)
    print(sent // 2)


if __name__ == "__main__":
    main()
