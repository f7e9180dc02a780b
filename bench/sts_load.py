#!/usr/bin/env python3
"""STS load: AssumeRole against moto_server, GetCallerIdentity with temporary credentials, and
AssumeRole over a small and a large directory. Loopback, driven by wrk, bounded durations.

- AssumeRole: one signed request replayed (SigV4 has no nonce; a signed request stays valid for
  15 minutes), at full speed on Keyward and on moto, then on Keyward at about half its maximum
  rate for the latency there. Keyward's CPU per call is its process CPU time over the run
  divided by the calls served (utime + stime from /proc, wrk's own CPU not included). Every
  call is audited (the audit writer's statements are counted apart, as "background").
- GetCallerIdentity signed with the temporary credentials of one AssumeRole: throughput, and
  the statements sent to the database while serving it (`keyward_db_queries_total` in
  /metrics, origin "request").
- Directory size: AssumeRole latency at a fixed rate with 10 users and 10 roles and with
  100,000 users and 10,000 roles (rows added with SQL while the server is stopped, for speed),
  both servers up at once and measured in alternating rounds; medians of the rounds.

    cargo build --release
    pip install 'moto[server]' boto3
    python3 bench/sts_load.py [--seconds 10] [--binary target/release/keyward]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import sqlite3
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials

sys.path.insert(0, os.path.dirname(__file__))
from iam_load import start_keyward, start_moto, wrk  # noqa: E402

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]})


def signed(url, key, secret, query, token=None):
    request = botocore.awsrequest.AWSRequest(method="GET", url=f"{url}/?{query}")
    creds = botocore.credentials.Credentials(key, secret, token)
    botocore.auth.SigV4Auth(creds, "sts", "us-east-1").add_auth(request)
    keep = ("authorization", "x-amz-date", "x-amz-security-token")
    return {k: v for k, v in request.headers.items() if k.lower() in keep}


def clients(url, key, secret):
    args = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret)
    return boto3.client("iam", **args), boto3.client("sts", **args)


def make_role(url, key, secret, name):
    iam, sts = clients(url, key, secret)
    account = sts.get_caller_identity()["Account"]
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST.replace("{account}", account))["Role"]["Arn"]
    return arn


def assume_query(role_arn):
    return urllib.parse.urlencode({"Action": "AssumeRole", "RoleArn": role_arn, "RoleSessionName": "load",
                                   "Version": "2011-06-15"})


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def request_queries(url):
    text = urllib.request.urlopen(url + "/metrics").read().decode()
    m = re.search(r'keyward_db_queries_total\{origin="request"\} (\d+)', text)
    return int(m.group(1)) if m else 0


def seed_directory(db_path, users, roles):
    """Adds users and roles to the account of an embedded store (server stopped)."""
    con = sqlite3.connect(db_path)
    account = con.execute("SELECT id FROM accounts ORDER BY created_at LIMIT 1").fetchone()[0]
    now = "2026-11-23 00:00:00"
    con.executemany("INSERT INTO users (id, account_id, name, path, created_at) VALUES (?, ?, ?, '/', ?)",
                    ((f"AIDABULK{i:013d}", account, f"bulk-user-{i}", now) for i in range(users)))
    con.executemany(
        "INSERT INTO roles (id, account_id, name, path, assume_role_policy, max_session_duration, created_at) "
        "VALUES (?, ?, ?, '/', ?, 3600, ?)",
        ((f"AROABULK{i:013d}", account, f"bulk-role-{i}", TRUST.replace("{account}", account), now)
         for i in range(roles)))
    con.commit()
    con.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--binary", default="target/release/keyward")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds of the directory comparison")
    args = ap.parse_args()
    data_dir = tempfile.mkdtemp(prefix="keyward-sts-load-")
    rows, notes = [], []
    keyward = start_keyward(args.binary, data_dir)
    moto = start_moto()
    try:
        for name, (proc, url, key, secret) in (("keyward", keyward), ("moto", moto)):
            role_arn = make_role(url, key, secret, "load-role")
            query = assume_query(role_arn)
            headers = signed(url, key, secret, query)
            before = cpu_seconds(proc.pid)
            r = wrk(f"{url}/?{query}", headers, args.seconds, args.connections)
            cpu = cpu_seconds(proc.pid) - before
            r["cpu_us"] = cpu / (r["rps"] * args.seconds) * 1e6
            rows.append(("AssumeRole", name, "max", r))
            if name == "keyward":
                # About half the maximum rate: each connection waits 2 ms between requests (wrk's
                # delay has a resolution of 1 ms), with enough connections to add up to half.
                half = r["rps"] / 2
                conns = max(2, round(half * (2 + r["p50"]) / 1000))
                h = wrk(f"{url}/?{query}", headers, args.seconds, conns, delay_ms=2)
                notes.append(f"AssumeRole at reduced load: {h['rps']:.0f} calls/s, "
                             f"{h['rps'] / r['rps'] * 100:.0f}% of the maximum ({conns} connections)")
                rows.append(("AssumeRole", name, "half", h))
                _, sts = clients(url, key, secret)
                creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="caller")["Credentials"]
                who = "Action=GetCallerIdentity&Version=2011-06-15"
                session_headers = signed(url, creds["AccessKeyId"], creds["SecretAccessKey"], who,
                                         creds["SessionToken"])
                q0 = request_queries(url)
                g = wrk(f"{url}/?{who}", session_headers, args.seconds, args.connections)
                calls = round(g["rps"] * args.seconds)
                notes.append(f"GetCallerIdentity with temporary credentials: {calls} calls, "
                             f"{request_queries(url) - q0} statements sent to the database while serving them")
                rows.append(("GetCallerIdentity (session)", name, "max", g))
        ratio = rows[0][3]["rps"] / next(r for a, n, l, r in rows if a == "AssumeRole" and n == "moto")["rps"]
        notes.append(f"AssumeRole: Keyward / moto throughput = {ratio:.1f}x")
    finally:
        for proc in (keyward[0], moto[0]):
            proc.terminate()
            proc.wait(timeout=30)

    # Directory size: the same AssumeRole at one fixed rate on a small directory and on a large
    # one. Both servers run side by side and are measured in alternating rounds, so that a
    # passing disturbance of the machine lands on both; the median of the rounds is reported.
    size_rows = []
    servers = []
    try:
        for label, users, roles in (("10 users, 10 roles", 10, 9), ("100,000 users, 10,000 roles", 100_000, 9_999)):
            work = tempfile.mkdtemp(prefix="keyward-sts-dir-")
            proc, url, key, secret = start_keyward(args.binary, work)
            proc.terminate()
            proc.wait(timeout=30)
            seed_directory(os.path.join(work, "keyward.db"), users - 1, roles)
            proc, url, key, secret = start_keyward(args.binary, work)
            servers.append((label, proc, work))
            role_arn = make_role(url, key, secret, "load-role")
            query = assume_query(role_arn)
            size_rows.append((label, f"{url}/?{query}", signed(url, key, secret, query), []))
        for _ in range(args.rounds):
            for label, target, headers, results in size_rows:
                results.append(wrk(target, headers, args.seconds, 8, delay_ms=8))
    finally:
        for _, proc, work in servers:
            proc.terminate()
            proc.wait(timeout=30)
            shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)
    size_rows = [(label, {k: statistics.median(r[k] for r in results) for k in ("rps", "p50", "p99")})
                 for label, _, _, results in size_rows]

    print("| action | server | load | requests/s | p50 ms | p99 ms | CPU µs/call |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for action, name, load, r in rows:
        cpu = f"{r['cpu_us']:.0f}" if "cpu_us" in r else ""
        print(f"| {action} | {name} | {load} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {cpu} |")
    print()
    print("| directory | requests/s | p50 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: |")
    for label, r in size_rows:
        print(f"| {label} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} |")
    small, large = size_rows[0][1], size_rows[1][1]
    notes.append(f"Directory size: p50 {large['p50'] / small['p50']:.2f}x and p99 "
                 f"{large['p99'] / small['p99']:.2f}x of the small directory's")
    for n in notes:
        print(f"\n{n}")


if __name__ == "__main__":
    main()
