#!/usr/bin/env python3
"""Unauthenticated megabyte requests against signed calls: the audit trail's growth and
AssumeRole's latency while wrk floods the AWS endpoint with 1 MiB bodies signed with a made-up
access key (issue 14, H6). Loopback, wrk, bounded.

- Refusal: one flooding request is sent first and its answer printed; it must be the unknown
  key's 403 InvalidClientTokenId (the flood is dated now, so that it is refused for its key,
  not for a missing or stale date).
- Growth: the audit events the flood left (rows refused for the unknown key, the text they
  hold) per flooding request, and the embedded store's file size (with its WAL) before and
  after each flood (which holds AssumeRole's own audit events too).
- Isolation: AssumeRole replayed at a fixed low rate (4 connections, 5 ms apart) on an idle
  server, then again during the flood (4 connections of 1 MiB bodies), alternating rounds;
  medians of p99. Two floods: throttled (`--rate` requests a second, 4 connections with wrk's
  per-connection delay) and unthrottled (as fast as the server answers).
- CPU: the server's and the flooding wrk's user and system time during the flood (in cores),
  and the whole machine's split (user, system, softirq, idle), from /proc.

    cargo build --release
    pip install boto3
    python3 bench/audit_flood.py [--seconds 10] [--rate 200] [--binary target/release/keyward]
"""
import argparse
import datetime
import http.client
import os
import shutil
import sqlite3
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


def probe(url, headers, body=BODY):
    """The answer to one request that sends its whole body before it reads: status and error
    code, or the error the client met (a refusal sent before the body was read may be lost to
    a reset connection if the server stops reading at once)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("POST", "/", body=body.encode(), headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
    except OSError as e:
        return None, type(e).__name__
    finally:
        conn.close()
    code = text.split("<Code>", 1)[1].split("</Code>", 1)[0] if "<Code>" in text else text[:80]
    return response.status, code


def probes(url, count):
    """`count` refusals each of an unknown key's 1 MiB and of an unsigned 2 MiB body; how
    often the client read the answer."""
    answers = {}
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    for _ in range(count):
        for headers, body in ((flood_headers(), BODY), (unsigned, BODY * 2)):
            key = probe(url, headers, body)
            answers[key] = answers.get(key, 0) + 1
    return answers


def store_bytes(data_dir):
    return sum(os.path.getsize(os.path.join(data_dir, f)) for f in os.listdir(data_dir)
               if f.startswith("keyward.db"))


TEXT_COLUMNS = ("id", "account_id", "actor_arn", "source_ip", "user_agent", "event_source", "event_name",
                "request_parameters", "response_elements", "error_code", "error_message", "request_id")


def flood_events(data_dir):
    """Audit rows of requests refused for the unknown key, and the bytes of text they hold."""
    con = sqlite3.connect(f"file:{os.path.join(data_dir, 'keyward.db')}?mode=ro", uri=True)
    try:
        text = " + ".join(f"length(coalesce({c}, ''))" for c in TEXT_COLUMNS)
        rows, size = con.execute(f"SELECT count(*), coalesce(sum({text}), 0) FROM audit_events "
                                 "WHERE error_code = 'InvalidClientTokenId'").fetchone()
    finally:
        con.close()
    return rows, size


def machine_cpu():
    """Jiffies of the whole machine: user (with nice), system, softirq, idle (with iowait)."""
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq = fields[:7]
    return {"user": user + nice, "system": system + irq, "softirq": softirq, "idle": idle + iowait}


def process_cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def measure(url, query, assume, proc, data_dir, args, delay_ms):
    """Rounds of idle then flooded AssumeRole; the flood throttled by `delay_ms` or not."""
    nice = -10 if os.geteuid() == 0 else None
    idles, durings, floods, grown = [], [], [], 0
    events_before = flood_events(data_dir)
    cpu = {"server_user": 0.0, "server_sys": 0.0, "wrk_user": 0.0, "wrk_sys": 0.0}
    machine = {"user": 0, "system": 0, "softirq": 0, "idle": 0}
    for _ in range(args.rounds):
        idles.append(wrk(f"{url}/?{query}", assume, args.seconds, 4, delay_ms=5, nice=nice))
        before = store_bytes(data_dir)
        flood_args, script = wrk_command(f"{url}/", flood_headers(), args.seconds + 4, FLOOD_CONNECTIONS,
                                         delay_ms=delay_ms, method="POST", body=BODY)
        flood = subprocess.Popen(flood_args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(2)
            server0, wrk0, m0 = process_cpu(proc.pid), process_cpu(flood.pid), machine_cpu()
            durings.append(wrk(f"{url}/?{query}", assume, args.seconds, 4, delay_ms=5, nice=nice))
            server1, wrk1, m1 = process_cpu(proc.pid), process_cpu(flood.pid), machine_cpu()
            out, _ = flood.communicate(timeout=args.seconds + 60)
        finally:
            if flood.poll() is None:
                flood.kill()
            os.unlink(script)
        for name, start, end in (("server", server0, server1), ("wrk", wrk0, wrk1)):
            cpu[f"{name}_user"] += end[0] - start[0]
            cpu[f"{name}_sys"] += end[1] - start[1]
        for k in machine:
            machine[k] += m1[k] - m0[k]
        time.sleep(2)  # the audit writer catches up
        floods.append(wrk_parse(out))
        grown += store_bytes(data_dir) - before
    events_after = flood_events(data_dir)
    flooded = sum(f["requests"] for f in floods)
    rate = flooded / sum(f["seconds"] or (args.seconds + 4) for f in floods)
    measured_seconds = args.rounds * args.seconds
    total = sum(machine.values()) or 1
    return {
        "flooded": flooded,
        "rate": rate,
        "grown": grown,
        "events": events_after[0] - events_before[0],
        "event_bytes": events_after[1] - events_before[1],
        "idle": statistics.median(r["p99"] for r in idles),
        "during": statistics.median(r["p99"] for r in durings),
        "cpu": {k: v / measured_seconds for k, v in cpu.items()},
        "machine": {k: v / total for k, v in machine.items()},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--binary", default="target/release/keyward")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rate", type=int, default=200, help="throttled flood, requests a second")
    ap.add_argument("--probes", type=int, default=100, help="refusals checked for an answer, of each kind")
    args = ap.parse_args()
    data_dir = tempfile.mkdtemp(prefix="keyward-audit-flood-")
    proc, url, key, secret = start_keyward(args.binary, data_dir)
    results = {}
    try:
        query = assume_query(make_role(url, key, secret, "flood-role"))
        assume = signed(url, key, secret, query)
        status, code = probe(url, flood_headers())
        print(f"a flooding request is answered {status} {code}")
        answered = probes(url, args.probes)
        print("answers read by a client that sends its whole body first: "
              + ", ".join(f"{n} x {s} {c}" for (s, c), n in sorted(answered.items(), key=str)))
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
    row("audit rows of the flood (text)", lambda r: f"{r['events']:,} ({r['event_bytes'] / 1e3:.0f} kB, "
        f"{r['event_bytes'] / max(r['flooded'], 1):.1f} bytes per request)")
    row("store file growth, AssumeRole's events included",
        lambda r: f"{r['grown'] / 1e6:.2f} MB ({r['grown'] / max(r['flooded'], 1):.0f} bytes per request)")
    row(f"AssumeRole p99 idle (median of {args.rounds})", lambda r: f"{r['idle']:.2f} ms")
    row("AssumeRole p99 during the flood", lambda r: f"{r['during']:.2f} ms ({r['during'] / r['idle']:.2f}x)")
    row("server CPU, user + system (cores)", lambda r: f"{r['cpu']['server_user']:.2f} + {r['cpu']['server_sys']:.2f}")
    row("flooding wrk CPU, user + system (cores)", lambda r: f"{r['cpu']['wrk_user']:.2f} + {r['cpu']['wrk_sys']:.2f}")
    row("machine: user / system / softirq / idle",
        lambda r: " / ".join(f"{100 * r['machine'][k]:.0f}%" for k in ("user", "system", "softirq", "idle")))


if __name__ == "__main__":
    main()
