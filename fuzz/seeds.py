#!/usr/bin/env python3
"""Seeds the fuzz corpora from the h1 wire-vector tests (cohttp-core/tests/h1_*.rs).

Every Rust byte-string literal (b"...") of those files is taken as raw bytes: request
vectors seed `request_head` and `server_connection`, response vectors `response_head` and `client_connection`
(behind a few headers: see cohttp-fuzz-checks' docs for the input layout), chunked
vectors `chunked`, and all of them `round_trip` (whose input is free-form). Files are
named by content hash, so running it twice adds nothing. Run from the repository root:
    python3 fuzz/seeds.py
"""
import hashlib
import os
import re

LIT = re.compile(rb'b"((?:[^"\\]|\\.|\\\n)*)"', re.S)


def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != 0x5C:  # backslash
            out.append(c)
            i += 1
            continue
        e = s[i + 1:i + 2]
        if e == b"x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        elif e == b"\n":  # line continuation: skip the newline and leading whitespace
            i += 2
            while i < len(s) and s[i] in b" \t\n":
                i += 1
        else:
            out += {b"r": b"\r", b"n": b"\n", b"t": b"\t", b"0": b"\0",
                    b"\\": b"\\", b'"': b'"', b"'": b"'"}[e]
            i += 2
    return bytes(out)


def literals(path):
    with open(path, "rb") as f:
        return [unescape(m.group(1)) for m in LIT.finditer(f.read())]


def save(target, data):
    d = os.path.join("fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


requests = [x for x in literals("cohttp-core/tests/h1_requests.rs") if len(x) > 8]
responses = [x for x in literals("cohttp-core/tests/h1_responses.rs") if len(x) > 8]
chunked = [x for x in literals("cohttp-core/tests/h1_chunked.rs") if len(x) > 2]
for i, r in enumerate(requests):
    save("request_head", r)
    save("round_trip", r)
    # Handler answers cycling over all four modes, 128-byte pieces, half-close; the
    # request twice, echoing, in 3-byte pieces; and (for some) the client never closing.
    save("server_connection", bytes([0b11100100, 0x7F]) + r)
    save("server_connection", bytes([0b01010101, 0x02]) + r + r)
    if i % 8 == 0:
        save("server_connection", bytes([0, 0xFF]) + r)
for r in responses:
    save("response_head", r)
    save("round_trip", r)
    # 1 request (persistence unknown), 3 pipelined GETs, and 2 HEAD + POST in small pieces.
    save("client_connection", bytes([0, 0, 0, 0, 255]) + r)
    save("client_connection", bytes([2, 1, 0, 0, 255]) + r + r + r)
    save("client_connection", bytes([2, 1, 0b100101, 0, 2]) + r + r)
for c in chunked:
    save("chunked", bytes([0]) + c)
    save("chunked", bytes([3, 0, 4, 1]) + c)
