#!/usr/bin/env python3
"""Unauthenticated megabyte requests against signed calls: the audit trail's growth and
AssumeRole's latency while wrk floods the AWS endpoint with 1 MiB bodies signed with a made-up
access key (issue 14, H6). Loopback, wrk, bounded.

- Refusal: one flooding request is sent first and its answer printed; it must be the unknown
  key's 403 InvalidClientTokenId (the flood is dated now, so that it is refused for its key,
  not for a missing or stale date).
- Growth: the embedded store's file size (with its WAL) before and after each flood, per
  flooding request.
- Isolation: AssumeRole replayed at a fixed low rate (4 connections, 5 ms apart) on an idle
  server, then again during the flood (4 connections of 1 MiB bodies), alternating rounds;
  medians of p99. Two floods: throttled (`--rate` requests a second, 4 connections with wrk's
  per-connection delay) and unthrottled (as fast as the server answers).
- CPU: the server's user and system time per flooding request, and the whole machine's split
  (user, system, softirq, idle) during the flood, from /proc.

    cargo build --release
    pip install boto3
    python3 bench/audit_flood.py [--seconds 10] [--rate 200] [--binary target/release/keyward]
"""
import argparse
import datetime
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from iam_load import start_keyward, wrk, wrk_command, wrk_parse  # noqa: E402
from sts_load import assume_query, make_role, signed  # noqa: E402

BODY = "Action=" + "A" * (1024 * 1024 - 64) + "&Version=2011-06-15"
FLOOD_CONNECTIONS = 4


def flood_headers():
    """An Authorization header for a key nobody has, dated now (valid for 15 minutes)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return {"Content-Type": "application/x-www-form-urlencoded",
            "X-Amz-Date": now.strftime("%Y%m%dT%H%M%SZ"),
            "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIAFLOODFLOODFLOOD0/{now:%Y%m%d}/us-east-1/"
                             "sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64}


def probe(url, headers):
    """The answer to one flooding request: status and error code."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("POST", "/", body=BODY.encode(), headers=headers)
    response = conn.getresponse()
    text = response.read().decode()
    conn.close()
    code = text.split("<Code>", 1)[1].split("</Code>", 1)[0] if "<Code>" in text else text[:80]
    return response.status, code


def store_bytes(data_dir):
    return sum(os.path.getsize(os.path.join(data_dir, f)) for f in os.listdir(data_dir)
               if f.startswith("keyward.db"))


def machine_cpu():
    """Jiffies of the whole machine: user (with nice), system, softirq, idle (with iowait)."""
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq = fields[:7]
    return {"user": user + nice, "system": system + irq, "softirq": softirq, "idle": idle + iowait}


def server_cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def measure(url, query, assume, proc, data_dir, args, delay_ms):
    """Rounds of idle then flooded AssumeRole; the flood throttled by `delay_ms` or not."""
    nice = -10 if os.geteuid() == 0 else None
    idles, durings, floods, grown = [], [], [], 0
    cpu_user = cpu_sys = 0.0
    machine = {"user": 0, "system": 0, "softirq": 0, "idle": 0}
    for _ in range(args.rounds):
        idles.append(wrk(f"{url}/?{query}", assume, args.seconds, 4, delay_ms=5, nice=nice))
        before = store_bytes(data_dir)
        flood_args, script = wrk_command(f"{url}/", flood_headers(), args.seconds + 4, FLOOD_CONNECTIONS,
                                         delay_ms=delay_ms, method="POST", body=BODY)
        flood = subprocess.Popen(flood_args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(2)
            user0, sys0 = server_cpu(proc.pid)
            m0 = machine_cpu()
            durings.append(wrk(f"{url}/?{query}", assume, args.seconds, 4, delay_ms=5, nice=nice))
            m1 = machine_cpu()
            user1, sys1 = server_cpu(proc.pid)
            out, _ = flood.communicate(timeout=args.seconds + 60)
        finally:
            if flood.poll() is None:
                flood.kill()
            os.unlink(script)
        cpu_user += user1 - user0
        cpu_sys += sys1 - sys0
        for k in machine:
            machine[k] += m1[k] - m0[k]
        time.sleep(2)  # the audit writer catches up
        floods.append(wrk_parse(out))
        grown += store_bytes(data_dir) - before
    flooded = sum(f["requests"] for f in floods)
    rate = flooded / sum(f["seconds"] or (args.seconds + 4) for f in floods)
    measured_seconds = args.rounds * args.seconds
    total = sum(machine.values()) or 1
    return {
        "flooded": flooded,
        "rate": rate,
        "grown": grown,
        "idle": statistics.median(r["p99"] for r in idles),
        "during": statistics.median(r["p99"] for r in durings),
        "server_user": cpu_user / measured_seconds,
        "server_sys": cpu_sys / measured_seconds,
        "machine": {k: v / total for k, v in machine.items()},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--binary", default="target/release/keyward")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rate", type=int, default=200, help="throttled flood, requests a second")
    args = ap.parse_args()
    data_dir = tempfile.mkdtemp(prefix="keyward-audit-flood-")
    proc, url, key, secret = start_keyward(args.binary, data_dir)
    results = {}
    try:
        query = assume_query(make_role(url, key, secret, "flood-role"))
        assume = signed(url, key, secret, query)
        status, code = probe(url, flood_headers())
        print(f"a flooding request is answered {status} {code}")
        throttle = FLOOD_CONNECTIONS * 1000 / args.rate
        results[f"throttled ({args.rate}/s asked)"] = measure(url, query, assume, proc, data_dir, args,
                                                               throttle)
        results["unthrottled"] = measure(url, query, assume, proc, data_dir, args, None)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    names = list(results)
    print("| measure | " + " | ".join(names) + " |")
    print("| --- |" + " ---: |" * len(names))

    def row(label, cell):
        print(f"| {label} | " + " | ".join(cell(results[n]) for n in names) + " |")
    row("flooding requests answered", lambda r: f"{r['flooded']:,} ({r['rate']:.0f}/s)")
    row("store growth per flooding request", lambda r: f"{r['grown'] / max(r['flooded'], 1):.0f} bytes")
    row(f"AssumeRole p99 idle (median of {args.rounds})", lambda r: f"{r['idle']:.2f} ms")
    row("AssumeRole p99 during the flood", lambda r: f"{r['during']:.2f} ms ({r['during'] / r['idle']:.2f}x)")
    row("server CPU, user + system (cores)", lambda r: f"{r['server_user']:.2f} + {r['server_sys']:.2f}")
    row("machine: user / system / softirq / idle",
        lambda r: " / ".join(f"{100 * r['machine'][k]:.0f}%" for k in ("user", "system", "softirq", "idle")))


if __name__ == "__main__":
    main()
