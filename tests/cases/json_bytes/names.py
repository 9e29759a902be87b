# SPDX-License-Identifier: MIT
# The names case.sh writes over the markers in the target and the payload
# (same length: the string tables keep their layout), and what a JSON reader
# must see: Python's own decoding with one U+FFFD per ill-formed subpart.
import sys

OLD_MARK = b"xsjsonoldAAAAAAAAAAAAAAAA"
NEW_MARK = b"xsjsonnewBBBBBBBBBBBBBBBB"
# The payload reader refuses control characters in names (they end up in
# messages), so these carry quotes, backslashes and ill-formed UTF-8; the
# control characters come with the target's path (case.sh).
# a quote, a backslash, a stray 0xff, an overlong '/', a surrogate, a cut
# 3-byte sequence
OLD = b'o"\\\xff\xc0\xaf\xed\xa0\x80\xe2\x82['.ljust(len(OLD_MARK), b"z")
# past U+10FFFF, overlong 3-byte, lone continuations, then good UTF-8
NEW = b'n\xf4\x90\x80\x80\xe0\x80\xaf\x80\xbf"\\\\caf\xc3\xa9'.ljust(len(NEW_MARK), b"y")


def want(b):
    return b.decode("utf-8", "replace")


def rename(paths):
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        assert OLD_MARK in data, (path, OLD_MARK)  # the payload has both
        for mark, name in ((OLD_MARK, OLD), (NEW_MARK, NEW)):
            assert len(mark) == len(name) and b"\0" not in name
            data = data.replace(mark, name)
        with open(path, "wb") as f:
            f.write(data)


if __name__ == "__main__":
    rename(sys.argv[1:])
