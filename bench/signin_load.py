#!/usr/bin/env python3
"""Console sign-in load: password sign-ins per second next to the raw argon2id rate, and
AssumeRole latency while a sign-in flood saturates the machine. Loopback, wrk, bounded.

- Raw rate: `keyward password-speed` (argon2id verifications with Keyward's parameters, one
  thread per CPU), measured in the same run on the same machine, the server idle.
- Sign-ins: 32 IAM users with console passwords; the sign-in form (its CSRF token is bound
  to the sign-in cookie, so one form can be replayed) is POSTed by wrk at full speed, for each
  user in turn. Every answer is a 303 to /console with a new session: the password checked,
  the session stored and the ConsoleLogin event written. Ratio: sign-ins per second / raw
  checks per second. (Many users, since a flood of one user's sign-ins meets that user's
  throttle: at most 10 attempts of one user may be under way at once, issue 14.)
- Isolation: AssumeRole replayed at a fixed low rate (4 connections, 5 ms apart) on an idle
  server, then again while wrk floods the sign-in form with 16 connections, three rounds of
  each, alternating; medians. The measuring wrk runs at nice -10 (as root) so that its own
  wait for a CPU is not counted.

    cargo build --release
    pip install boto3
    python3 bench/signin_load.py [--seconds 10] [--binary target/release/keyward]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

sys.path.insert(0, os.path.dirname(__file__))
from iam_load import start_keyward, wrk, wrk_command, wrk_result  # noqa: E402
from sts_load import assume_query, clients, cpu_seconds, make_role, signed  # noqa: E402

PASSWORD = "Load-Test-Passw0rd!"


def raw_rate(binary, seconds):
    out = subprocess.run([binary, "password-speed", "--seconds", str(seconds), "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


USERS = [f"load-{i}" for i in range(32)]


def signin_form(url, account):
    """The sign-in cookie and the POST bodies of the sign-in form filled for each user."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{url}/signin").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    cookie = next(c for c in jar if c.name == "keyward_signin")
    bodies = [urllib.parse.urlencode({"csrf_token": token, "account": account, "username": user,
                                      "password": PASSWORD}) for user in USERS]
    return {"Cookie": f"keyward_signin={cookie.value}",
            "Content-Type": "application/x-www-form-urlencoded"}, bodies


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--binary", default="target/release/keyward")
    ap.add_argument("--rounds", type=int, default=3, help="idle and flooded AssumeRole runs, alternating")
    args = ap.parse_args()
    cores = os.cpu_count()
    data_dir = tempfile.mkdtemp(prefix="keyward-signin-load-")
    proc, url, key, secret = start_keyward(args.binary, data_dir)
    try:
        iam, sts = clients(url, key, secret)
        account = sts.get_caller_identity()["Account"]
        for user in USERS:
            iam.create_user(UserName=user)
            iam.create_login_profile(UserName=user, Password=PASSWORD, PasswordResetRequired=False)
        role_arn = make_role(url, key, secret, "load-role")
        query = assume_query(role_arn)
        assume_headers = signed(url, key, secret, query)
        headers, bodies = signin_form(url, account)

        raw = raw_rate(args.binary, args.seconds)
        before = cpu_seconds(proc.pid)
        s = wrk(f"{url}/signin", headers, args.seconds, 8, method="POST", bodies=bodies)
        cpu = cpu_seconds(proc.pid) - before
        s["cpu_ms"] = cpu / (s["rps"] * args.seconds) * 1e3

        # The measuring client runs ahead of everything else (nice -10, when allowed), so that
        # the latency is the server's and not the client's wait for a CPU on the shared cores.
        nice = -10 if os.geteuid() == 0 else None
        # Idle and flooded runs alternate, three of each; medians (p99 of a few thousand calls
        # under a millisecond moves a lot from run to run on a shared machine).
        idles, durings, floods = [], [], []
        for _ in range(args.rounds):
            idles.append(wrk(f"{url}/?{query}", assume_headers, args.seconds, 4, delay_ms=5, nice=nice))
            flood_args, script = wrk_command(f"{url}/signin", headers, args.seconds + 4, 16,
                                             method="POST", bodies=bodies)
            flood = subprocess.Popen(flood_args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                time.sleep(2)
                durings.append(wrk(f"{url}/?{query}", assume_headers, args.seconds, 4, delay_ms=5, nice=nice))
                flood_out, _ = flood.communicate(timeout=args.seconds + 60)
            finally:
                if flood.poll() is None:
                    flood.kill()
                os.unlink(script)
            floods.append(wrk_result(flood_out, f"{url}/signin"))
        median = lambda runs: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99")}  # noqa: E731
        idle, during, flooded = median(idles), median(durings), median(floods)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)

    ratio = s["rps"] / raw["per_second"]
    print(f"raw argon2id ({raw['parameters']}): {raw['per_second']:.1f} checks/s on {raw['threads']} "
          f"threads ({raw['per_second'] / raw['threads']:.1f} per thread)")
    print()
    print("| measure | requests/s | p50 ms | p99 ms | server CPU ms/call |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| password sign-in (8 connections) | {s['rps']:.1f} | {s['p50']:.1f} | {s['p99']:.1f} | "
          f"{s['cpu_ms']:.1f} |")
    print(f"| sign-in flood (16 connections) | {flooded['rps']:.1f} | {flooded['p50']:.1f} | "
          f"{flooded['p99']:.1f} | |")
    print(f"| AssumeRole, idle | {idle['rps']:.0f} | {idle['p50']:.2f} | {idle['p99']:.2f} | |")
    print(f"| AssumeRole, during the flood | {during['rps']:.0f} | {during['p50']:.2f} | "
          f"{during['p99']:.2f} | |")
    print()
    print(f"Sign-ins: {s['rps']:.1f}/s = {ratio * 100:.0f}% of the raw argon2id rate "
          f"({s['rps'] / cores:.1f} per core on {cores} cores)")
    print(f"AssumeRole p99 during the flood: {during['p99'] / idle['p99']:.2f}x its idle value "
          f"(medians of {args.rounds} alternating rounds; each: idle {[r['p99'] for r in idles]}, "
          f"flood {[r['p99'] for r in durings]})")


if __name__ == "__main__":
    main()
