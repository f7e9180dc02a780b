#!/usr/bin/env python3
"""Two builds of Keyward side by side: AssumeRole at full speed on each, in alternating rounds,
so that a change meant to leave performance alone (a restructuring) can show that it did.

Both servers run at once on embedded stores, each with one role; each round drives one of them
with wrk (one signed AssumeRole replayed, as bench/sts_load.py does) while the other idles, and
the order alternates between rounds. Reported: the median throughput and CPU per call of each
build and the ratio of the medians.

Throughput on a shared 2-core machine moves by more than the few percent such a comparison is
about, so `--instructions N` also counts the instructions each build executes per AssumeRole
under callgrind, which does not depend on what else the machine does: each build starts on a
fresh store, serves 20 calls to warm its caches, has its counters zeroed (`callgrind_control
-z`), serves N calls (the same signed request, one at a time) and dumps its counters; the
total over N is the cost of one call (HTTP, signature check, trust decision, minting, audit),
background threads included.

    cargo build --release && cp target/release/keyward /tmp/keyward-after
    python3 bench/compare_builds.py --before /tmp/keyward-before --after /tmp/keyward-after
"""
import argparse
import configparser
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from iam_load import free_port, start_keyward, wrk  # noqa: E402
from sts_load import assume_query, cpu_seconds, make_role, signed  # noqa: E402


def instructions_per_call(binary, calls):
    """Instructions a build executes per AssumeRole, over `calls` calls after a warm-up."""
    work = tempfile.mkdtemp(prefix="keyward-callgrind-")
    out = os.path.join(work, "callgrind.out")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWARD_")}
    env.update(KEYWARD_DATA_DIR=work, KEYWARD_LISTEN=f"127.0.0.1:{port}", KEYWARD_LOG="warn")
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary, "serve"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 600
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=5)
                break
            except (OSError, urllib.error.HTTPError):
                if time.time() > deadline:
                    sys.exit(f"{binary} under valgrind did not come up")
                time.sleep(0.5)
        creds = configparser.ConfigParser()
        creds.read(os.path.join(work, "credentials"))
        key, secret = creds["keyward"]["aws_access_key_id"], creds["keyward"]["aws_secret_access_key"]
        role_arn = make_role(url, key, secret, "load-role")
        query = assume_query(role_arn)
        headers = signed(url, key, secret, query)

        def call(n):
            for _ in range(n):
                request = urllib.request.Request(f"{url}/?{query}", headers=headers)
                with urllib.request.urlopen(request, timeout=60) as answer:
                    answer.read()
        call(20)
        time.sleep(1)
        subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        call(calls)
        time.sleep(1)
        subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=300)
    dump = next(os.path.join(work, f) for f in sorted(os.listdir(work)) if f.startswith("callgrind.out."))
    total = int(re.search(r"^(?:summary|totals): (\d+)", open(dump).read(), re.M).group(1))
    shutil.rmtree(work, ignore_errors=True)
    return total / calls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True, help="the build to compare against")
    ap.add_argument("--after", required=True, help="the build under test")
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--instructions", type=int, default=0, metavar="N",
                    help="also count instructions per AssumeRole under callgrind, over N calls")
    args = ap.parse_args()
    if args.instructions:
        counts = {label: instructions_per_call(binary, args.instructions)
                  for label, binary in (("before", args.before), ("after", args.after))}
        for label, count in counts.items():
            print(f"{label}: {count:,.0f} instructions per AssumeRole (callgrind, {args.instructions} calls)")
        print(f"instructions after / before = {counts['after'] / counts['before']:.3f}", flush=True)
    servers = {}
    dirs = []
    try:
        for label, binary in (("before", args.before), ("after", args.after)):
            work = tempfile.mkdtemp(prefix=f"keyward-compare-{label}-")
            dirs.append(work)
            proc, url, key, secret = start_keyward(binary, work)
            role_arn = make_role(url, key, secret, "load-role")
            query = assume_query(role_arn)
            servers[label] = (proc, f"{url}/?{query}", signed(url, key, secret, query))
        results = {label: [] for label in servers}
        for round_no in range(args.rounds):
            order = ("before", "after") if round_no % 2 == 0 else ("after", "before")
            for label in order:
                proc, target, headers = servers[label]
                cpu0 = cpu_seconds(proc.pid)
                r = wrk(target, headers, args.seconds, args.connections)
                r["cpu_us"] = (cpu_seconds(proc.pid) - cpu0) / (r["rps"] * args.seconds) * 1e6
                results[label].append(r)
                print(f"round {round_no + 1} {label}: {r['rps']:.0f}/s, p99 {r['p99']:.2f} ms, "
                      f"{r['cpu_us']:.1f} µs CPU per call", flush=True)
        if not args.rounds:
            return
        median = {label: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p99", "cpu_us")}
                  for label, rs in results.items()}
        print("\n| build | AssumeRole/s (median) | p99 ms | CPU µs per call |\n| --- | ---: | ---: | ---: |")
        for label in ("before", "after"):
            m = median[label]
            print(f"| {label} | {m['rps']:.0f} | {m['p99']:.2f} | {m['cpu_us']:.1f} |")
        ratio = median["after"]["rps"] / median["before"]["rps"]
        print(f"\nthroughput after / before = {ratio:.3f} ({(ratio - 1) * 100:+.1f}%)")
    finally:
        for proc, _, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=30)
        for work in dirs:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
