"""Keyward behind a real reverse proxy (nginx from Debian, on loopback).

One nginx, started by the fixture with its own config, pid and log files, fronts two servers:
one that trusts 127.0.0.1 (where nginx connects from) and one that trusts nobody. Clients
connect from 127.0.0.2, an untrusted address (all of 127/8 is loopback), so a request
through nginx arrives with `X-Forwarded-For: <what the client sent>, 127.0.0.2` from the
trusted peer 127.0.0.1. Which address Keyward saw is read from which of three IP-conditioned
policies lets the call through.
"""
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.parse

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import Keyward, free_port

CLIENT = "127.0.0.2"  # the real client: not a trusted proxy
PROXY = "127.0.0.1"  # where nginx connects to Keyward from
FORGED = "203.0.113.9"  # what a client writes into X-Forwarded-For itself

# Which address Keyward saw, told by which action the policy allows from it.
PROBES = {"iam:ListUsers": CLIENT, "iam:ListGroups": FORGED, "iam:ListRoles": PROXY}
ACTIONS = {"iam:ListUsers": "ListUsers", "iam:ListGroups": "ListGroups", "iam:ListRoles": "ListRoles"}


def find_nginx():
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if path is None:
        # The suite's installer adds it (tests/run); a run without it says why it skips.
        print("nginx is not installed: apt-get install -y nginx-light")
        pytest.skip("nginx is not installed (apt-get install -y nginx-light)")
    return path


class Nginx:
    """nginx in the foreground with everything under one temporary directory."""

    def __init__(self, routes):
        """`routes`: (listen port, tls?, upstream port) triples."""
        self.dir = tempfile.mkdtemp(prefix="keyward-nginx-")
        os.chmod(self.dir, 0o755)  # nginx's workers may run as another user
        cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
                       check=True, capture_output=True)
        servers = "".join(self.server(port, tls, upstream, cert, key) for port, tls, upstream in routes)
        temp = "".join(f"    {kind}_temp_path {self.dir}/{kind};\n"
                       for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off;
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {self.dir}/access.log;
{temp}{servers}}}
""")
        self.proc = subprocess.Popen([find_nginx(), "-p", self.dir, "-c", conf, "-e", f"{self.dir}/error.log"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ports = [port for port, _, _ in routes]
        deadline = time.time() + 20
        while not all(self.listening(p) for p in ports):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("nginx did not start: " + self.proc.stderr.read().decode()
                                   + open(f"{self.dir}/error.log").read())
            time.sleep(0.05)

    @staticmethod
    def server(port, tls, upstream, cert, key):
        listen = f"listen {PROXY}:{port} ssl;\n        ssl_certificate {cert};\n        ssl_certificate_key {key};" \
            if tls else f"listen {PROXY}:{port};"
        # The settings the README asks of a proxy: append the peer, overwrite the scheme.
        return f"""    server {{
        {listen}
        location / {{
            proxy_pass http://{PROXY}:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
"""

    @staticmethod
    def listening(port):
        try:
            http.client.HTTPConnection(PROXY, port, timeout=0.5).connect()
            return True
        except OSError:
            return False

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)  # graceful shutdown
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def setup():
    find_nginx()
    trusting = Keyward("embedded", {"KEYWARD_TRUSTED_PROXIES": PROXY})
    untrusting = Keyward("embedded")
    plain, tls, plain_untrusting = free_port(), free_port(), free_port()
    try:
        nginx = Nginx([(plain, False, trusting.port), (tls, True, trusting.port),
                       (plain_untrusting, False, untrusting.port)])
    except Exception:
        trusting.stop()
        untrusting.stop()
        raise
    yield {"trusting": trusting, "untrusting": untrusting, "plain": plain, "tls": tls,
           "plain_untrusting": plain_untrusting}
    nginx.stop()
    trusting.stop()
    untrusting.stop()


def user_with_policy(server, name, statements):
    iam = server.client()
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def ip_probe_user(server, name):
    return user_with_policy(server, name, [
        {"Effect": "Allow", "Action": action, "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": f"{address}/32"}}}
        for action, address in PROBES.items()])


def call(port, key, action, tls=False, source=CLIENT, headers=None):
    """A signed IAM call to 127.0.0.1:`port` from `source`; extra unsigned headers after
    signing, as a proxy or a forger would add them. Returns the HTTP status."""
    scheme = "https" if tls else "http"
    body = urllib.parse.urlencode({"Action": action, "Version": "2010-05-08"})
    request = AWSRequest(method="POST", url=f"{scheme}://{PROXY}:{port}/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(*key), "iam", "us-east-1").add_auth(request)
    if tls:
        conn = http.client.HTTPSConnection(PROXY, port, timeout=30, source_address=(source, 0),
                                           context=ssl._create_unverified_context())
    else:
        conn = http.client.HTTPConnection(PROXY, port, timeout=30, source_address=(source, 0))
    try:
        conn.request("POST", "/", body=body, headers={**dict(request.headers.items()), **(headers or {})})
        response = conn.getresponse()
        text = response.read().decode()
        assert response.status in (200, 403), f"{response.status} {text}"
        return response.status
    finally:
        conn.close()


def seen_as(port, key, **kwargs):
    """The address Keyward saw the call come from: the one probe its policy let through."""
    allowed = [address for action, address in PROBES.items()
               if call(port, key, ACTIONS[action], **kwargs) == 200]
    assert len(allowed) == 1, allowed
    return allowed[0]


def test_the_client_address_comes_from_a_trusted_proxy_only(setup, name):
    trusting, untrusting = setup["trusting"], setup["untrusting"]
    key = ip_probe_user(trusting, name)
    forged = {"X-Forwarded-For": FORGED}

    # Through nginx, which Keyward trusts: the right-most hop that is not a trusted proxy is
    # the client nginx saw, whatever the client wrote to the left of it.
    assert seen_as(setup["plain"], key) == CLIENT
    assert seen_as(setup["plain"], key, headers=forged) == CLIENT, "the forged left-most hop is not used"
    assert seen_as(setup["tls"], key, tls=True, headers=forged) == CLIENT

    # Straight to Keyward from an untrusted address: the header is ignored.
    assert seen_as(trusting.port, key, headers=forged) == CLIENT
    assert seen_as(trusting.port, key, headers={"Forwarded": f"for={FORGED}"}) == CLIENT

    # A hop that is itself trusted (here the client shares nginx's address) is walked past:
    # that is how chains of proxies work, and why trusted_proxies must name only proxies.
    assert seen_as(setup["plain"], key, source=PROXY, headers=forged) == FORGED

    # A server that trusts no proxy sees nginx, headers or not.
    untrusted_key = ip_probe_user(untrusting, name)
    assert seen_as(setup["plain_untrusting"], untrusted_key) == PROXY
    assert seen_as(setup["plain_untrusting"], untrusted_key, headers=forged) == PROXY


def test_secure_transport_comes_from_the_connection_and_trusted_proxies(setup, name):
    trusting, untrusting = setup["trusting"], setup["untrusting"]
    only_tls = [
        {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]
    key = user_with_policy(trusting, name, only_tls)
    claims_https = {"X-Forwarded-Proto": "https", "Forwarded": "proto=https"}

    assert call(trusting.port, key, "ListUsers", headers=claims_https) == 403, \
        "a plain call that claims https itself is still plain"
    assert call(setup["plain"], key, "ListUsers", headers=claims_https) == 403, \
        "nginx overwrites the scheme it did not serve"
    assert call(setup["tls"], key, "ListUsers", tls=True) == 200, "https at the trusted proxy"

    untrusted_key = user_with_policy(untrusting, name, only_tls)
    assert call(untrusting.port, untrusted_key, "ListUsers", source=PROXY, headers=claims_https) == 403, \
        "with no trusted proxy nothing is https"
