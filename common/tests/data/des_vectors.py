#!/usr/bin/env python3
"""Independent cross-check of the xntp3 DES key forms and DES-CBC MAC (protocol notes §9).

One-off generator, not run by the test suite. It re-implements the A/S/N key conversions
from the protocol notes' description (§9.1) without looking at the Rust code, computes the
DES-CBC MAC (zero IV, MAC = last cipher block, §9.2) with PyCryptodome's DES, and the MD5
keyed digest with hashlib, over the authspeed packet P of §10.1. Its output is pasted into
`sample_keys_match_independent_vectors` in `common/src/auth/keys.rs`.

    pip install pycryptodome   # 3.x or later; 4.4.0 was used
    python3 common/tests/data/des_vectors.py
"""

import hashlib

from Crypto.Cipher import DES

# xntp3 authstuff/auth.samplekeys as restated in protocol notes §9.4.
SAMPLE_KEYS = [
    (1, "S", "0101010101010101"),
    (2, "N", "8080808080808080"),
    (3, "A", "ugosnod"),
    (4, "A", "BigbOObs"),
    (5, "S", "f1f1f1f1f1f1f1f1"),
    (6, "N", "f8f8f8f8f8f8f8f8"),
    (7, "S", "f8f8f8f8f8f8f8f8"),
    (8, "A", "a"),
    (9, "A", "&^%$@!*("),
    (10, "S", "01020407080bf1f1"),
    (11, "N", "4040404040404040"),
    (12, "A", "more"),
    (13, "A", "random"),
    (14, "A", "keys"),
    (15, "A", "password"),
    (16, "M", "password"),
    (17, "M", "secret"),
    (31, "M", "keys!"),
]


def odd_parity(octet):
    """Bit 0 set or cleared so the octet has an odd number of one bits."""
    data = octet & 0xFE
    ones = bin(data).count("1")
    return data | (1 if ones % 2 == 0 else 0)


def parity_ok(key):
    return all(bin(b).count("1") % 2 == 1 for b in key)


def des_key(form, text):
    if form == "S":
        key = bytes.fromhex(text)
    elif form == "N":
        key = bytes(((b << 1) & 0xFE) | (b >> 7) for b in bytes.fromhex(text))
    elif form == "A":
        raw = text.encode("ascii")[:8].ljust(8, b"\0")
        key = bytes(odd_parity((c << 1) & 0xFF) for c in raw)
    else:
        raise ValueError(form)
    assert len(key) == 8 and parity_ok(key), (form, text)
    return key


def cbc_mac(key, message):
    padded = message + b"\0" * (-len(message) % 8)
    return DES.new(key, DES.MODE_CBC, iv=b"\0" * 8).encrypt(padded)[-8:]


def main():
    packet = b"".join((i * 0x22222).to_bytes(4, "big") for i in range(12))
    for ident, form, text in SAMPLE_KEYS:
        if form == "M":
            mac = hashlib.md5(text.encode("ascii") + packet).hexdigest()
            print(f'({ident}, "{form}", "{text}", "{text.encode().hex()}", "{mac}"),')
        else:
            key = des_key(form, text)
            print(f'({ident}, "{form}", "{text}", "{key.hex()}", "{cbc_mac(key, packet).hex()}"),')
    # Known-answer test of the primitive (protocol notes §10.1 V6).
    kat = DES.new(bytes.fromhex("133457799BBCDFF1"), DES.MODE_ECB).encrypt(
        bytes.fromhex("0123456789ABCDEF"))
    assert kat.hex() == "85e813540f0ab405", kat.hex()


if __name__ == "__main__":
    main()
