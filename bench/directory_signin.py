#!/usr/bin/env python3
"""Directory sign-in against a Samba Active Directory domain controller, on loopback, bounded:
Keyward's AssumeRoleWithLDAPIdentity throughput beside the DC's own simple-bind rate, with the
same number of connections, in alternating rounds of one run (medians reported).

- Keyward: wrk replays the unsigned AssumeRoleWithLDAPIdentity POST (as a script sends it) on
  N connections, taking the bodies of 16 people (the DC's load-00 ... load-15) in turn; all are
  in Ops-Team, which is in Ops, the group the role trusts (nested, through AD's in-chain rule).
  Many people rather than one: Keyward counts a sign-in against its user name until it is
  checked, so ten at once for one name are refused as guessing. Each call is a search for
  the person, a bind as them and a search for their groups on the DC (Keyward's counter
  `keyward_directory_operations_total` is read before and after), then the trust decision and
  the minting. Keyward reaches the DC over LDAPS with the run's CA.
- The DC's bind rate: N processes, each with one LDAPS connection (Python `ldap3`), binding as
  the same people in turn, as fast as the DC answers.
- The DC doing Keyward's LDAP work: N processes, each with a service connection and a binding
  connection (ldap3), doing what one sign-in asks of the DC (search, bind, nested group
  search). The ceiling of any client doing that work.

Reported per row: calls/s, and the DC's and the client's CPU per call (µs, from /proc), so the
share each side takes of the 2 cores is visible.

The DC: the one tests/run started (KEYWARD_TEST_SAMBA, or --facts), else one started here
(root, Samba installed: tests/directories/samba.py). Python `ldap3` comes from
bench/requirements-directory.txt:

    cargo build --release
    python3 -m venv target/bench-venv
    target/bench-venv/bin/pip install -r bench/requirements-directory.txt -r tests/e2e/requirements.txt
    target/bench-venv/bin/python bench/directory_signin.py [--seconds 10] [--rounds 3] \\
        [--connections 4] [--binary target/release/keyward]
"""
import argparse
import configparser
import json
import multiprocessing
import os
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
import ldap3
from ldap3.utils.conv import escape_filter_chars

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "directories"))
from iam_load import free_port, wait_for, wrk_command, wrk_parse  # noqa: E402
from sts_load import cpu_seconds  # noqa: E402
import samba  # noqa: E402

USER_FILTER = "(objectClass=user)"  # Keyward's default


def dc_facts(path):
    """The DC's facts, and a function that stops it if it was started here."""
    path = path or os.environ.get("KEYWARD_TEST_SAMBA")
    if path:
        with open(path) as f:
            return json.load(f), lambda: None
    reason = samba.ready()
    if reason:
        sys.exit(f"no Samba AD domain controller: {reason}")
    facts = samba.start()
    print(f"started a Samba AD DC at {facts['url']} in {facts['seconds_to_start']}s", flush=True)
    return facts, lambda: samba.stop(facts)


def start_keyward(binary, data):
    """Keyward on an embedded store in `data`, its log in data/server.log (`proc.log`)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWARD_")}
    # Plain http from loopback carries the directory password only under the test setting.
    env.update(KEYWARD_DATA_DIR=data, KEYWARD_LISTEN=f"127.0.0.1:{port}", KEYWARD_LOG="warn",
               KEYWARD_ALLOW_PLAIN_LDAP="true")
    log = os.path.join(data, "server.log")
    with open(log, "w") as f:
        proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=f)
    proc.log = log
    url = f"http://127.0.0.1:{port}"
    wait_for(url + "/healthz")
    creds = configparser.ConfigParser()
    creds.read(os.path.join(data, "credentials"))
    return proc, url, creds["keyward"]["aws_access_key_id"], creds["keyward"]["aws_secret_access_key"]


def keyward_with_directory(binary, facts):
    """Keyward on an embedded store, the DC registered as directory `ad`, a role trusting Ops."""
    data = tempfile.mkdtemp(prefix="keyward-bench-dir-")
    proc, url, key, secret = start_keyward(binary, data)
    args = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret)
    account = boto3.client("sts", **args).get_caller_identity()["Account"]
    password_file = os.path.join(data, "directory-password")
    with open(password_file, "w") as f:
        f.write(facts["service_password"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWARD_")}
    subprocess.run([binary, "directory", "create", "ad", "--data-dir", data, "--account", account,
                    "--url", facts["url"], "--tls", "ldaps", "--ca-file", facts["ca_file"],
                    "--bind-dn", facts["service_upn"], "--bind-password-file", password_file,
                    "--base-dn", facts["base_dn"], "--user-attribute", "sAMAccountName",
                    "--groups", "nested"],
                   env=env, check=True, capture_output=True)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{account}:directory/ad"},
        "Action": ["sts:AssumeRoleWithLDAPIdentity", "sts:SetSourceIdentity"],
        "Condition": {"ForAnyValue:StringEquals": {"ldap:groups": facts["groups"]["Ops"]}}}]}
    role = boto3.client("iam", **args).create_role(
        RoleName="Operator", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    return proc, url, data, role


def body(role, user, password):
    return urllib.parse.urlencode({"Action": "AssumeRoleWithLDAPIdentity", "Version": "2011-06-15",
                                   "RoleArn": role, "LDAPUsername": user, "LDAPPassword": password})


def operations(url):
    text = urllib.request.urlopen(url + "/metrics").read().decode()
    return {m.group(1): float(m.group(2)) for m in re.finditer(
        r'^keyward_directory_operations_total\{operation="([a-z_]+)"\} (\S+)$', text, re.M)}


def server(facts):
    tls = ldap3.Tls(ca_certs_file=facts["ca_file"], validate=ssl.CERT_REQUIRED)
    return ldap3.Server(facts["url"], use_ssl=True, tls=tls, get_info=ldap3.NONE)


def people(facts):
    """The load test's people (in Ops-Team, so in Ops): user name, DN, password."""
    return [(user, facts["dns"][user], password) for user, password in facts["load_people"].items()]


def bind_loop(facts, worker, start, deadline, out):
    """One connection binding as the people in turn until the deadline: binds done."""
    turn = people(facts)
    conn = ldap3.Connection(server(facts), user=turn[0][1], password=turn[0][2], auto_bind=True)
    start.wait()
    done, cpu = 0, time.process_time()
    while time.time() < deadline.value:
        user, dn, password = turn[(worker + done) % len(turn)]
        if not conn.rebind(user=dn, password=password):
            raise RuntimeError(f"bind as {user} refused: {conn.result}")
        done += 1
    out.put((done, time.process_time() - cpu))


def sign_in_loop(facts, worker, start, deadline, out):
    """What one Keyward sign-in asks of the DC, over and over: search, bind, group search."""
    turn = people(facts)
    srv = server(facts)
    service = ldap3.Connection(srv, user=facts["service_upn"], password=facts["service_password"],
                               auto_bind=True)
    binder = ldap3.Connection(srv, user=turn[0][1], password=turn[0][2], auto_bind=True)
    start.wait()
    done, cpu = 0, time.process_time()
    while time.time() < deadline.value:
        user, _, password = turn[(worker + done) % len(turn)]
        service.search(facts["base_dn"], f"(&{USER_FILTER}(sAMAccountName={user}))",
                       attributes=["sAMAccountName", "userAccountControl", "lockoutTime", "pwdLastSet",
                                   "msDS-User-Account-Control-Computed"])
        entries = [e for e in service.response if e["type"] == "searchResEntry"]
        if len(entries) != 1:
            raise RuntimeError(f"{len(entries)} entries for {user}")
        if not binder.rebind(user=entries[0]["dn"], password=password):
            raise RuntimeError(f"bind as {user} refused: {binder.result}")
        dn = escape_filter_chars(entries[0]["dn"])
        service.search(facts["base_dn"], f"(&(objectCategory=group)(member:1.2.840.113556.1.4.1941:={dn}))",
                       attributes=["1.1"])
        done += 1
    out.put((done, time.process_time() - cpu))


def ldap_round(loop, facts, connections, seconds):
    """N processes running `loop` for `seconds`: calls/s, the DC's and the clients' CPU µs per call."""
    start, out = multiprocessing.Event(), multiprocessing.Queue()
    deadline = multiprocessing.Value("d", time.time() + 3600)
    workers = [multiprocessing.Process(target=loop, args=(facts, i, start, deadline, out)) for i in range(connections)]
    for w in workers:
        w.start()
    time.sleep(1.0)  # connected and bound
    dc_cpu = cpu_seconds(facts["pid"])
    began = time.time()
    deadline.value = began + seconds
    start.set()
    results = [out.get(timeout=seconds + 60) for _ in workers]
    elapsed = time.time() - began
    dc_cpu = cpu_seconds(facts["pid"]) - dc_cpu
    for w in workers:
        w.join()
    calls = sum(r[0] for r in results)
    return {"rps": calls / elapsed, "dc_us": dc_cpu / calls * 1e6,
            "client_us": sum(r[1] for r in results) / calls * 1e6}


def keyward_round(proc, url, role, facts, connections, seconds):
    bodies = [body(role, user, password) for user, _, password in people(facts)]
    before_ops, dc_cpu, kw_cpu = operations(url), cpu_seconds(facts["pid"]), cpu_seconds(proc.pid)
    command, script = wrk_command(url + "/", {"Content-Type": "application/x-www-form-urlencoded"}, seconds,
                                  connections, method="POST", bodies=bodies)
    try:
        result = wrk_parse(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    finally:
        os.unlink(script)
    if result["non2xx"] or any(result["socket_errors"].values()):
        try:
            answer = urllib.request.urlopen(url + "/", data=bodies[0].encode()).read().decode()
        except urllib.error.HTTPError as e:
            answer = f"{e.code} {e.read().decode()}"
        with open(proc.log) as f:
            sys.exit(f"wrk saw errors: {result}\nKeyward's log ends:\n{f.read()[-4000:]}\n"
                     f"A call now: {answer}")
    dc_cpu, kw_cpu = cpu_seconds(facts["pid"]) - dc_cpu, cpu_seconds(proc.pid) - kw_cpu
    # The calls wrk left unanswered are still served: let them finish, or they meet the next
    # round's (Keyward counts sign-ins in progress from one address against it, and more than
    # 20 at once are taken for guessing).
    drained = operations(url)
    while True:
        time.sleep(1)
        after_ops = operations(url)
        if after_ops == drained:
            break
        drained = after_ops
    calls = result["requests"]
    spent = {k: (after_ops.get(k, 0) - before_ops.get(k, 0)) / calls for k in after_ops}
    return {"rps": result["rps"], "p50": result["p50"], "p99": result["p99"],
            "dc_us": dc_cpu / calls * 1e6, "keyward_us": kw_cpu / calls * 1e6, "ops": spent}


def machine():
    cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
    return f"{os.cpu_count()} vCPUs ({cpu.group(1).strip() if cpu else 'unknown'})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--binary", default="target/release/keyward")
    parser.add_argument("--facts", help="the DC's facts file (default: $KEYWARD_TEST_SAMBA, else start one)")
    args = parser.parse_args()
    facts, stop_dc = dc_facts(args.facts)
    proc, url, data, role = keyward_with_directory(args.binary, facts)
    try:
        for user, _, password in people(facts):
            urllib.request.urlopen(url + "/", data=body(role, user, password).encode())
        rows = {"keyward": [], "binds": [], "work": []}
        for r in range(args.rounds):
            order = [("keyward", None), ("binds", bind_loop), ("work", sign_in_loop)]
            if r % 2:
                order.reverse()
            for name, loop in order:
                if loop is None:
                    rows[name].append(keyward_round(proc, url, role, facts, args.connections, args.seconds))
                else:
                    rows[name].append(ldap_round(loop, facts, args.connections, args.seconds))
                print(name, json.dumps(rows[name][-1]), flush=True)

        def median(name, key):
            return statistics.median(row[key] for row in rows[name])
        kw, binds, work = median("keyward", "rps"), median("binds", "rps"), median("work", "rps")
        print(f"\nmachine: {machine()}; {args.connections} connections, {args.seconds}s x {args.rounds} rounds, "
              f"binary {args.binary}, Samba {facts['url']}")
        print("| load | calls/s | rounds | DC CPU µs/call | client CPU µs/call |")
        print("| --- | ---: | --- | ---: | ---: |")
        for name, label, client in [("binds", "DC simple binds (ldap3)", "client_us"),
                                    ("work", "DC: search + bind + group search (ldap3)", "client_us"),
                                    ("keyward", "Keyward AssumeRoleWithLDAPIdentity (wrk)", "keyward_us")]:
            rounds = ", ".join(f"{row['rps']:.0f}" for row in rows[name])
            print(f"| {label} | {median(name, 'rps'):.0f} | {rounds} | {median(name, 'dc_us'):.0f} | "
                  f"{median(name, client):.0f} |")
        print(f"\nKeyward p50 {median('keyward', 'p50'):.2f} ms, p99 {median('keyward', 'p99'):.2f} ms; "
              f"directory operations per call: {rows['keyward'][-1]['ops']}")
        print(f"Keyward / DC binds: {kw / binds:.0%}; Keyward / DC doing Keyward's LDAP work: {kw / work:.0%}")
    finally:
        proc.terminate()
        proc.wait()
        subprocess.run(["rm", "-rf", data])
        stop_dc()


if __name__ == "__main__":
    main()
