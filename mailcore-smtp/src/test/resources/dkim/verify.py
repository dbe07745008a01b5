"""Independent DKIM check for mailcore's tests: verifies the message on stdin with dkimpy.

Usage: /usr/bin/python3 verify.py [--index N] <key-record-name> <file-with-TXT-value> [<name> <file>]...
Verifies the N-th DKIM-Signature field (0 = the top one); answers only the key queries for the
given record names. Exit 0 = valid signature, 1 = invalid, 2 = error.
"""
import logging
import sys

import dkim


def main():
    args = sys.argv[1:]
    index = 0
    if args[:1] == ["--index"]:
        index = int(args[1])
        args = args[2:]
    records = {}
    for name, txt_file in zip(args[0::2], args[1::2]):
        with open(txt_file, "rb") as f:
            records[name.rstrip(".").lower()] = f.read().strip()
    asked = []

    def dnsfunc(qname, timeout=5):
        q = qname.decode("ascii") if isinstance(qname, bytes) else qname
        asked.append(q)
        return records.get(q.rstrip(".").lower())

    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG)
    message = sys.stdin.buffer.read()
    d = dkim.DKIM(message, logger=logging.getLogger("dkimpy"))
    try:
        ok = d.verify(idx=index, dnsfunc=dnsfunc)
    except dkim.DKIMException as e:  # an invalid signature, as dkim.verify() reports it
        print("FAIL %s: %s" % (type(e).__name__, e), file=sys.stderr)
        ok = False
    print("asked=" + ",".join(asked), file=sys.stderr)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # report, do not hide: the test prints the output on failure
        print("ERROR %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(2)
