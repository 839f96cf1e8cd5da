# Runs a command (ntpd) unable to turn on kernel receive timestamps, then execs it in place.
#
# A daemon on a clock shifted by libfaketime would otherwise stamp a request's arrival (T2) with the
# kernel's real time (SO_TIMESTAMP/SO_TIMESTAMPNS control messages, which libfaketime does not see) and
# its reply (T3) with the shifted time: clients would measure half the shift and a negative delay.
# Refusing the socket option makes ntpd fall back to reading the (shifted) clock on receipt.
# Usage: python3 no-packet-stamps.py PROGRAM ARGS...
import errno
import os
import sys

import seccomp

SOL_SOCKET = 1
SO_TIMESTAMP = 29
SO_TIMESTAMPNS = 35
SO_TIMESTAMPING = 37
SO_TIMESTAMP_NEW = 63
SO_TIMESTAMPNS_NEW = 64

f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for opt in (SO_TIMESTAMP, SO_TIMESTAMPNS, SO_TIMESTAMPING, SO_TIMESTAMP_NEW, SO_TIMESTAMPNS_NEW):
    f.add_rule(
        seccomp.ERRNO(errno.ENOPROTOOPT),
        "setsockopt",
        seccomp.Arg(1, seccomp.EQ, SOL_SOCKET),
        seccomp.Arg(2, seccomp.EQ, opt),
    )
f.load()
os.execv(sys.argv[1], sys.argv[1:])
