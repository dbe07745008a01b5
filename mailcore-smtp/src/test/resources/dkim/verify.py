"""Independent DKIM check for mailcore's tests: verifies the message on stdin with dkimpy.

Usage: /usr/bin/python3 verify.py <key-record-name> <file-with-TXT-value>
Answers only queries for <key-record-name>; exit 0 = valid signature, 1 = invalid, 2 = error.
"""
import logging
import sys

import dkim


def main():
    name, txt_file = sys.argv[1], sys.argv[2]
    with open(txt_file, "rb") as f:
        txt = f.read().strip()
    expected = name.rstrip(".").lower()
    asked = []

    def dnsfunc(qname, timeout=5):
        q = qname.decode("ascii") if isinstance(qname, bytes) else qname
        asked.append(q)
        return txt if q.rstrip(".").lower() == expected else None

    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG)
    message = sys.stdin.buffer.read()
    ok = dkim.verify(message, logger=logging.getLogger("dkimpy"), dnsfunc=dnsfunc)
    print("asked=" + ",".join(asked), file=sys.stderr)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # report, do not hide: the test prints stderr on failure
        print("ERROR %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(2)
