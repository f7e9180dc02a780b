#!/usr/bin/env python3
"""AssumeRoleWithWebIdentity against AssumeRole, side by side in one run, on loopback, with wrk.

Keyward is started with its own OpenID Connect provider trusted as an IAM OIDC provider of its
account (the test setting KEYWARD_ALLOW_HTTP_LOOPBACK_ISSUERS: the issuer is plain http on
loopback), so the tokens are real provider tokens: client_credentials access tokens of two
clients, one signing RS256 and one ES256. A role trusts the provider on `:sub`. Then, in
alternating rounds (the median of each is reported):

- AssumeRole: one signed GET replayed (SigV4 has no nonce);
- AssumeRoleWithWebIdentity with the RS256 token, and with the ES256 token: one unsigned form
  POST replayed, as the SDKs send it (a token may be presented again, as on AWS). The provider's keys are cached after
  the first call, so each call is one signature check plus what AssumeRole does.

Last, 1,000 tokens whose `kid` was made up (the header changed, the signature no longer
matching) are sent, and the provider-key fetches they caused are read from /metrics
(`keyward_oidc_provider_key_fetches_total`).

    cargo build --release
    python3 bench/web_identity_load.py [--seconds 10] [--rounds 3] [--binary target/release/keyward]
"""
import argparse
import base64
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import boto3

sys.path.insert(0, os.path.dirname(__file__))
from iam_load import start_keyward, wrk  # noqa: E402
from sts_load import assume_query, signed  # noqa: E402


def create_client(binary, data_dir, account, alg):
    out = subprocess.run(
        [binary, "oidc", "client", "create", "--data-dir", data_dir, "--account", account,
         "--name", f"bench-{alg}", "--grant-type", "client_credentials", "--scope", "deploy",
         "--signing-alg", alg, "--json"],
        env={k: v for k, v in os.environ.items() if not k.startswith("KEYWARD_")},
        capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def token_of(url, client):
    body = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
    request = urllib.request.Request(url + "/oauth2/token", data=body)
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    request.add_header("Authorization", "Basic " + basic)
    return json.loads(urllib.request.urlopen(request).read())["access_token"]


def claims_of(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def web_identity_query(role_arn, token):
    return urllib.parse.urlencode({"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                                   "RoleArn": role_arn, "RoleSessionName": "load",
                                   "WebIdentityToken": token})


def key_fetches(url):
    text = urllib.request.urlopen(url + "/metrics").read().decode()
    return sum(int(n) for n in re.findall(r'keyward_oidc_provider_key_fetches_total\{[^}]*\} (\d+)', text))


def with_kid(token, kid):
    header, payload, signature = token.split(".")
    h = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    h["kid"] = kid
    encoded = base64.urlsafe_b64encode(json.dumps(h).encode()).decode().rstrip("=")
    return f"{encoded}.{payload}.{signature}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--binary", default="target/release/keyward")
    args = ap.parse_args()
    data_dir = tempfile.mkdtemp(prefix="keyward-wi-load-")
    proc, url, key, secret = start_keyward(args.binary, data_dir,
                                           {"KEYWARD_ALLOW_HTTP_LOOPBACK_ISSUERS": "true"})
    try:
        aws = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                   aws_secret_access_key=secret)
        iam, sts = boto3.client("iam", **aws), boto3.client("sts", **aws)
        account = sts.get_caller_identity()["Account"]
        tokens = {alg: token_of(url, create_client(args.binary, data_dir, account, alg))
                  for alg in ("RS256", "ES256")}
        audiences = sorted({claims_of(t)["aud"] for t in tokens.values()})
        provider = iam.create_open_id_connect_provider(Url=url, ClientIDList=audiences,
                                                       ThumbprintList=[])["OpenIDConnectProviderArn"]
        host = url.removeprefix("http://")
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringLike": {f"{host}:sub": "*"}}}]}
        role_arn = iam.create_role(RoleName="load", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        query = assume_query(role_arn)
        runs = {"AssumeRole": (f"{url}/?{query}", signed(url, key, secret, query))}
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        for alg, token in tokens.items():
            body = web_identity_query(role_arn, token)
            # The first call fetches the provider's keys.
            urllib.request.urlopen(urllib.request.Request(url + "/", data=body.encode(), headers=form)).read()
            # POSTed as a form, as the AWS SDKs and CLI send it.
            runs[f"AssumeRoleWithWebIdentity {alg}"] = (url + "/", form, body)
        results = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, (target, headers, *body) in runs.items():
                post = dict(method="POST", body=body[0]) if body else {}
                results[name].append(wrk(target, headers, args.seconds, args.connections, **post))
        base = statistics.median(r["rps"] for r in results["AssumeRole"])
        print(f"| call | calls/s (median of {args.rounds}) | rounds | p50 ms | p99 ms | share of AssumeRole |")
        print("| --- | ---: | --- | ---: | ---: | ---: |")
        for name, rs in results.items():
            rps = statistics.median(r["rps"] for r in rs)
            each = ", ".join(f"{r['rps']:.0f}" for r in rs)
            print(f"| {name} | {rps:.0f} | {each} | "
                  f"{statistics.median(r['p50'] for r in rs):.2f} | {statistics.median(r['p99'] for r in rs):.2f} | "
                  f"{rps / base * 100:.0f}% |")
        before = key_fetches(url)
        refused = 0
        for i in range(1000):
            forged = with_kid(tokens["RS256"], f"made-up-{i}")
            try:
                urllib.request.urlopen(f"{url}/?{web_identity_query(role_arn, forged)}").read()
            except urllib.error.HTTPError as e:
                refused += e.code == 400
        print(f"\n1,000 tokens with made-up kids: {refused} refused with 400, "
              f"{key_fetches(url) - before} provider-key fetches caused")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
