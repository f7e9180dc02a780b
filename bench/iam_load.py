#!/usr/bin/env python3
"""IAM API load: Keyward against moto_server, side by side, on loopback, driven by wrk.

For each server: 100 users are created, then one signed GetUser and one signed ListUsers
request are replayed by wrk (SigV4 has no nonce: a signed request stays valid for 15 minutes,
so the client does no crypto and costs little CPU). moto routes requests by the SigV4 scope of
the Authorization header, so both servers get header-signed GETs; Keyward is also driven with a
presigned URL. Each action is run at full speed (max throughput), then Keyward again at half of
that rate (wrk's per-connection delay) to read its p99 latency there. Bounded: fixed durations.

    cargo build --release
    pip install 'moto[server]' boto3        # (tests/run's venv has boto3)
    python3 bench/iam_load.py [--seconds 10] [--binary target/release/keyward]
"""
import argparse
import configparser
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url):
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{url} did not come up")


def signed_headers(url, key, secret, query):
    request = botocore.awsrequest.AWSRequest(method="GET", url=f"{url}/?{query}")
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "iam", "us-east-1").add_auth(request)
    return {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "x-amz-date", "x-amz-content-sha256")}


LUA_DELAY = "function delay() return {ms} end\n"


def wrk_command(url, headers, seconds, connections, delay_ms=None, method=None, body=None, bodies=None):
    """wrk's command line and the Lua script it needs (delete it afterwards), for replaying one
    request: headers, optional method and body (or `bodies`, taken in turn), optional delay
    between requests."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    lua = ""
    if delay_ms is not None:
        lua += LUA_DELAY.format(ms=max(1, round(delay_ms)))
    if method:
        lua += f"wrk.method = {json.dumps(method)}\n"
    if body is not None:
        lua += f"wrk.body = {json.dumps(body)}\n"
    if bodies:
        lua += ("local bodies = {" + ",".join(json.dumps(b) for b in bodies) + "}\nlocal n = 0\n"
                "request = function()\n  n = n + 1\n"
                "  return wrk.format(nil, nil, nil, bodies[(n % #bodies) + 1])\nend\n")
    script = None
    if lua:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write(lua)
        script.close()
        args += ["-s", script.name]
    return args + [url], script and script.name


def wrk_result(out, url):
    """Throughput and latency from wrk's output; stops the run on any error response."""
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        sys.exit(f"wrk saw {non2xx.group(1)} error responses from {url}:\n{out}")

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    return {"rps": rate, "p50": pct(50), "p99": pct(99)}


def wrk_parse(out):
    """Everything in wrk's output, errors included, without judging it (wrk_result stops the
    run on errors; this leaves that to the caller): requests/s, p50 and p99 in ms (None when
    wrk printed no latency), responses, seconds, non-2xx/3xx responses and socket errors."""
    def number(pattern, cast=float):
        m = re.search(pattern, out)
        return cast(m.group(1)) if m else None

    def ms(text):
        m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 1e-3, "ms": 1, "s": 1e3, "m": 6e4}[unit]

    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+(?:us|ms|s|m))\b", out)
        return ms(m.group(1)) if m else None
    done = re.search(r"(\d+) requests in ([\d.]+(?:us|ms|s|m)),", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "p50": pct(50),
        "p99": pct(99),
        "requests": int(done.group(1)) if done else 0,
        "seconds": ms(done.group(2)) / 1000 if done else None,
        "non2xx": number(r"Non-2xx or 3xx responses: (\d+)", int) or 0,
        "socket_errors": dict(zip(("connect", "read", "write", "timeout"), map(int, sock.groups())))
        if sock else {},
    }


def wrk(url, headers, seconds, connections, delay_ms=None, method=None, body=None, nice=None, bodies=None):
    """One wrk run; `nice` runs the client at that nice value (root may give it priority, so
    that on a shared machine the client's own scheduling delays stay out of the latency)."""
    args, script = wrk_command(url, headers, seconds, connections, delay_ms, method, body, bodies)
    if nice is not None:
        args = ["nice", "-n", str(nice)] + args
    try:
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    finally:
        if script:
            os.unlink(script)
    return wrk_result(out, url)


def start_keyward(binary, data_dir, extra_env=None):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWARD_")}
    env.update(KEYWARD_DATA_DIR=data_dir, KEYWARD_LISTEN=f"127.0.0.1:{port}", KEYWARD_LOG="warn")
    env.update(extra_env or {})
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for(url + "/healthz")
    creds = configparser.ConfigParser()
    creds.read(os.path.join(data_dir, "credentials"))
    return proc, url, creds["keyward"]["aws_access_key_id"], creds["keyward"]["aws_secret_access_key"]


def start_moto():
    port = free_port()
    exe = shutil.which("moto_server") or os.path.join(os.path.dirname(sys.executable), "moto_server")
    proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for(url + "/")
    return proc, url, "AKIAEXAMPLEEXAMPLE00", "moto-accepts-any-secret"


def seed(url, key, secret, users):
    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                       aws_secret_access_key=secret)
    for i in range(users):
        iam.create_user(UserName=f"load-{i:03d}")
    return iam


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--binary", default="target/release/keyward")
    args = ap.parse_args()
    data_dir = tempfile.mkdtemp(prefix="keyward-load-")
    keyward = start_keyward(args.binary, data_dir)
    moto = start_moto()
    results = {}
    try:
        queries = {
            "GetUser": "Action=GetUser&UserName=load-042&Version=2010-05-08",
            "ListUsers": "Action=ListUsers&Version=2010-05-08",
        }
        for name, (proc, url, key, secret) in (("keyward", keyward), ("moto", moto)):
            client = seed(url, key, secret, 100)
            assert len(client.list_users()["Users"]) >= 100
            for action, query in queries.items():
                headers = signed_headers(url, key, secret, query)
                results[(name, action, "max")] = wrk(f"{url}/?{query}", headers, args.seconds, args.connections)
                if name == "keyward":
                    presigned = client.generate_presigned_url(
                        action[0].lower() + re.sub(r"([A-Z])", r"_\1", action[1:]).lower(),
                        Params={"UserName": "load-042"} if action == "GetUser" else {}, ExpiresIn=900,
                        HttpMethod="GET")
                    results[(name, action, "presigned")] = wrk(presigned, {}, args.seconds, args.connections)
                    half = results[(name, action, "max")]["rps"] / 2
                    conns = 8
                    results[(name, action, "half")] = wrk(f"{url}/?{query}", headers, args.seconds, conns,
                                                          delay_ms=conns * 1000 / half)
    finally:
        for proc in (keyward[0], moto[0]):
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)

    print("| action | server | load | requests/s | p50 ms | p99 ms |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for (name, action, load), r in results.items():
        print(f"| {action} | {name} | {load} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} |")
    for action in queries:
        ratio = results[("keyward", action, "max")]["rps"] / results[("moto", action, "max")]["rps"]
        print(f"\n{action}: Keyward / moto throughput = {ratio:.1f}x")


if __name__ == "__main__":
    main()
