#!/usr/bin/env python3
"""Console pages with 10,000 users in the account: how long each page takes to serve.

Keyward starts on a fresh embedded store (or the PostgreSQL of --database-url); the account is
filled through the IAM API with boto3 (10,000 users, some in groups, some with a console
password or an access key, a few roles). A console user with AdministratorAccess signs in
through the sign-in form, and every console page is then requested over one kept-alive
loopback connection: a few warm-up requests, then N timed ones. Reported per page: median and
95th percentile of the time from sending the request to the last byte of the answer, measured
at the client on loopback (it includes the loopback HTTP round trip, well under a
millisecond), and the page's size. The issue's target is 100 ms of server time per page; no
peer is named for it, so none is run.

    cargo build --release
    python3 bench/console_pages.py [--users 10000] [--requests 20] [--binary target/release/keyward]
"""
import argparse
import concurrent.futures
import configparser
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

import boto3

sys.path.insert(0, os.path.dirname(__file__))
from iam_load import free_port, wait_for  # noqa: E402

PASSWORD = "Bench-Console-Passw0rd!"
ADMIN = "bench-admin"


def start(binary, data_dir, database_url):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWARD_")}
    env.update(KEYWARD_DATA_DIR=data_dir, KEYWARD_LISTEN=f"127.0.0.1:{port}", KEYWARD_LOG="warn")
    if database_url:
        env["KEYWARD_DATABASE_URL"] = database_url
    env["KEYWARD_USERS_PER_ACCOUNT"] = "20000"
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for(url + "/healthz")
    creds = configparser.ConfigParser()
    creds.read(os.path.join(data_dir, "credentials"))
    keys = creds["keyward"]["aws_access_key_id"], creds["keyward"]["aws_secret_access_key"]
    return proc, port, url, keys


def fill(url, keys, users):
    """The account's users, groups, console passwords, access keys and roles, in parallel."""
    def client():
        return boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                            aws_access_key_id=keys[0], aws_secret_access_key=keys[1])

    iam = client()
    for g in range(20):
        iam.create_group(GroupName=f"group-{g:02d}")
    iam.create_user(UserName=ADMIN)
    iam.create_login_profile(UserName=ADMIN, Password=PASSWORD, PasswordResetRequired=False)
    iam.attach_user_policy(UserName=ADMIN, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},'
             '"Action":"sts:AssumeRole"}]}')
    for r in range(10):
        iam.create_role(RoleName=f"role-{r}", AssumeRolePolicyDocument=trust)

    def make(chunk):
        iam = client()
        for i in chunk:
            name = f"user-{i:05d}"
            iam.create_user(UserName=name)
            if i % 5 == 0:
                iam.add_user_to_group(GroupName=f"group-{i % 20:02d}", UserName=name)
            if i % 50 == 0:
                iam.create_login_profile(UserName=name, Password=PASSWORD, PasswordResetRequired=False)
            if i % 100 == 0:
                iam.create_access_key(UserName=name)

    chunks = [range(start, min(start + 250, users)) for start in range(0, users, 250)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(make, chunks))


class Browser:
    """One kept-alive connection with a cookie jar of one session."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies = {}

    def request(self, method, path, body=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            body = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.headers, data

    def sign_in(self, account):
        _, _, page = self.request("GET", f"/signin/{account}")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        status, headers, _ = self.request("POST", "/signin", {
            "csrf_token": token, "account": account, "username": ADMIN, "password": PASSWORD})
        if status != 303 or headers.get("Location") != "/console":
            sys.exit(f"sign-in failed: {status} {headers.get('Location')}")


def pages(account):
    policy = urllib.parse.quote("arn:aws:iam::aws:policy/ReadOnlyAccess", safe="")
    return [
        "/console",
        "/console/users",
        "/console/users?page=100",
        "/console/users?search=user-099",
        "/console/users?sort=signin&order=desc",
        "/console/users?mfa=without",
        "/console/users/user-00050",
        "/console/create/user",
        "/console/groups",
        "/console/groups/group-01",
        "/console/roles",
        "/console/roles/role-1",
        "/console/policies",
        f"/console/policies/view?arn={policy}",
        "/console/account",
        "/console/simulator",
        "/console/switch-role",
        "/console/oidc-clients",
        "/console/identity-providers",
        "/console/mfa",
        "/console/applications",
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--binary", default="target/release/keyward")
    ap.add_argument("--database-url", default=None, help="PostgreSQL instead of the embedded store")
    args = ap.parse_args()
    data_dir = tempfile.mkdtemp(prefix="keyward-console-bench-")
    proc, port, url, keys = start(args.binary, data_dir, args.database_url)
    try:
        began = time.monotonic()
        fill(url, keys, args.users)
        print(f"filled {args.users} users in {time.monotonic() - began:.0f} s", file=sys.stderr)
        sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1",
                           aws_access_key_id=keys[0], aws_secret_access_key=keys[1])
        account = sts.get_caller_identity()["Account"]
        browser = Browser(port)
        browser.sign_in(account)
        print("| page | median ms | p95 ms | KiB |")
        print("| --- | ---: | ---: | ---: |")
        for path in pages(account):
            for _ in range(3):
                status, _, body = browser.request("GET", path)
            if status != 200:
                sys.exit(f"{path}: {status}")
            times = []
            for _ in range(args.requests):
                t0 = time.perf_counter()
                browser.request("GET", path)
                times.append((time.perf_counter() - t0) * 1e3)
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            print(f"| `{path}` | {statistics.median(times):.1f} | {p95:.1f} | {len(body) / 1024:.0f} |")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
