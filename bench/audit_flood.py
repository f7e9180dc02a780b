#!/usr/bin/env python3
"""Unsigned megabyte requests against signed calls: the audit trail's growth and AssumeRole's
latency while wrk floods the AWS endpoint with unsigned 1 MiB bodies (issue 14, H6).
Loopback, wrk, bounded.

- Growth: the embedded store's file size (with its WAL) before and after the flood, per
  flooding request. Each unsigned request is refused (a 400 or 403 in AWS's shape); before the
  audit trail was bounded, each one stored its whole body and Authorization header.
- Isolation: AssumeRole replayed at a fixed low rate (4 connections, 5 ms apart) on an idle
  server, then again during the flood (4 connections of 1 MiB bodies), alternating rounds;
  medians of p99.

    cargo build --release
    pip install boto3
    python3 bench/audit_flood.py [--seconds 10] [--binary target/release/keyward]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from iam_load import start_keyward, wrk, wrk_command, wrk_parse  # noqa: E402
from sts_load import assume_query, make_role, signed  # noqa: E402

BODY = "Action=" + "A" * (1024 * 1024 - 64) + "&Version=2011-06-15"
UNSIGNED = {"Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAFLOODFLOODFLOOD0/20261204/us-east-1/sts/"
                             "aws4_request, SignedHeaders=host, Signature=" + "0" * 64}


def store_bytes(data_dir):
    return sum(os.path.getsize(os.path.join(data_dir, f)) for f in os.listdir(data_dir)
               if f.startswith("keyward.db"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--binary", default="target/release/keyward")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    data_dir = tempfile.mkdtemp(prefix="keyward-audit-flood-")
    proc, url, key, secret = start_keyward(args.binary, data_dir)
    nice = -10 if os.geteuid() == 0 else None
    try:
        query = assume_query(make_role(url, key, secret, "flood-role"))
        assume = signed(url, key, secret, query)
        idles, durings, floods = [], [], []
        grown = 0
        for _ in range(args.rounds):
            idles.append(wrk(f"{url}/?{query}", assume, args.seconds, 4, delay_ms=5, nice=nice))
            before = store_bytes(data_dir)
            flood_args, script = wrk_command(f"{url}/", UNSIGNED, args.seconds + 4, 4,
                                             method="POST", body=BODY)
            flood = subprocess.Popen(flood_args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                time.sleep(2)
                durings.append(wrk(f"{url}/?{query}", assume, args.seconds, 4, delay_ms=5, nice=nice))
                out, _ = flood.communicate(timeout=args.seconds + 60)
            finally:
                if flood.poll() is None:
                    flood.kill()
                os.unlink(script)
            time.sleep(2)  # the audit writer catches up
            result = wrk_parse(out)
            floods.append(result)
            grown += store_bytes(data_dir) - before
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    flooded = sum(f["requests"] for f in floods)
    idle = statistics.median(r["p99"] for r in idles)
    during = statistics.median(r["p99"] for r in durings)
    print("| measure | value |")
    print("| --- | ---: |")
    print(f"| unsigned 1 MiB requests sent | {flooded} ({flooded / (args.rounds * (args.seconds + 4)):.0f}/s) |")
    print(f"| store growth | {grown / 1e6:.2f} MB ({grown / max(flooded, 1):.0f} bytes per request) |")
    print(f"| AssumeRole p99 idle (median of {args.rounds}) | {idle:.2f} ms |")
    print(f"| AssumeRole p99 during the flood | {during:.2f} ms ({during / idle:.2f}x) |")


if __name__ == "__main__":
    main()
