"""End-to-end fixtures: a real `keyward serve` per test module and backend, and clients for it.

The server's own bootstrap writes the AWS credentials and config files; the clients read them
exactly as a user would (profile `keyward`), so nothing here knows Keyward's internals.
"""
import configparser
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import pytest
import requests

BIN = os.environ.get("KEYWARD_BIN", os.path.join(os.path.dirname(__file__), "../../target/debug/keyward"))
ADMIN_URL = os.environ.get("KEYWARD_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(sql):
    subprocess.run(["psql", ADMIN_URL, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)


# The IAM operations that servers of this run answered without an error, read from their audit
# trails as each stops, and the test modules whose servers were read. test_coverage.py checks
# the README's list of implemented operations against it once every other module has run.
ANSWERED_IAM = set()
MODULES_READ = set()
ANSWERED_SQL = ("SELECT DISTINCT event_name FROM audit_events "
                "WHERE event_source = 'iam.amazonaws.com' AND error_code IS NULL")


class Keyward:
    """A running server with its data directory."""

    def __init__(self, backend, settings=None):
        self.dir = tempfile.mkdtemp(prefix="keyward-e2e-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = None
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWARD_")}
        env.update(KEYWARD_DATA_DIR=self.dir, KEYWARD_LISTEN=f"127.0.0.1:{self.port}",
                   KEYWARD_WORKERS="2", KEYWARD_LOG="warn")
        env.update(settings or {})
        if backend == "postgres":
            self.db = "keyward_e2e_" + secrets.token_hex(6)
            psql(f"CREATE DATABASE {self.db}")
            parts = urllib.parse.urlsplit(ADMIN_URL)
            env["KEYWARD_DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path="/" + self.db))
        self.env = env
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.banner = []
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.banner.append(line)
            if "admin access key" in line:  # the last banner line of a first start
                break
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(self.url + "/healthz", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        self.account = next(l.split(":", 1)[1].strip() for l in self.banner if l.strip().startswith("account:"))
        creds = configparser.ConfigParser()
        creds.read(os.path.join(self.dir, "credentials"))
        self.admin_key = creds["keyward"]["aws_access_key_id"]
        self.admin_secret = creds["keyward"]["aws_secret_access_key"]

    def client(self, service="iam", key=None, secret=None, token=None, validate=True):
        """A boto3 client; `validate=False` sends what botocore would refuse, to test the server."""
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=key or self.admin_key,
            aws_secret_access_key=secret or self.admin_secret,
            aws_session_token=token,
            config=botocore.config.Config(retries={"max_attempts": 1}, parameter_validation=validate),
        )

    def cli(self, *args, check=True, profile="keyward", config=None, credentials=None, input=None):
        """Runs the AWS CLI with the files Keyward wrote at its first start (or other config and
        credentials files beside them); `input` answers its prompts (an MFA code)."""
        env = dict(os.environ, AWS_SHARED_CREDENTIALS_FILE=credentials or os.path.join(self.dir, "credentials"),
                   AWS_CONFIG_FILE=config or os.path.join(self.dir, "config"), AWS_PAGER="")
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            env.pop(k, None)
        return subprocess.run(["aws", "--profile", profile, *args], env=env, capture_output=True,
                              text=True, check=check, timeout=60, input=input)

    def create_account(self):
        """`keyward account create` on this server's store; returns (account id, key, secret)."""
        out = subprocess.run([BIN, "account", "create", "--public-url", self.url], env=self.env,
                             capture_output=True, text=True, check=True, timeout=60).stdout
        account = next(l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("account:"))
        creds = configparser.ConfigParser()
        creds.read(os.path.join(self.dir, "accounts", account, "credentials"))
        return account, creds["keyward"]["aws_access_key_id"], creds["keyward"]["aws_secret_access_key"]

    def answered_iam_operations(self):
        """The IAM operations this server answered without an error, from its audit trail
        (complete once the server has stopped: it flushes its audit queue on the way out)."""
        if self.db:
            parts = urllib.parse.urlsplit(ADMIN_URL)
            url = urllib.parse.urlunsplit(parts._replace(path="/" + self.db))
            out = subprocess.run(["psql", url, "-At", "-v", "ON_ERROR_STOP=1", "-c", ANSWERED_SQL],
                                 check=True, capture_output=True, text=True).stdout
            return set(out.split())
        with sqlite3.connect(os.path.join(self.dir, "keyward.db")) as db:
            return {row[0] for row in db.execute(ANSWERED_SQL)}

    def stop(self, module=None):
        """Stops the server; with `module`, first records what it answered (ANSWERED_IAM)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        with open(os.path.join(self.dir, "server.log"), errors="replace") as f:
            panics = [line for line in f if "panicked" in line]
        # A server that panics, even while it shuts down, fails the module that ran it.
        assert not panics, f"the server panicked: {panics[:3]}"
        if module is not None:
            ANSWERED_IAM.update(self.answered_iam_operations())
            MODULES_READ.add(module)
        if self.db:
            psql(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module", params=["embedded", "postgres"])
def keyward(request):
    server = Keyward(request.param)
    yield server
    # test_coverage.py's own server is sent every operation blindly to see which exist: what it
    # answers says nothing of what the tests exercise.
    module = request.module.__name__
    server.stop(module=None if module == "test_coverage" else module)


def pytest_collection_modifyitems(session, config, items):
    """The check of what the run exercised goes last, after every other module's servers."""
    last = [i for i in items if i.name == "test_every_implemented_operation_is_answered_end_to_end"]
    items[:] = [i for i in items if i not in last] + last


@pytest.fixture
def iam(keyward):
    return keyward.client()


@pytest.fixture
def name():
    """A unique entity name per test, so tests sharing a server never collide."""
    return "t" + secrets.token_hex(4)


def signed(keyward, method, path, body=None, key=None, secret=None, token=None):
    """A request to Keyward's JSON API signed by botocore for the service `keyward` (the admin's
    key unless another is given): (HTTP status, parsed JSON answer)."""
    credentials = botocore.credentials.Credentials(key or keyward.admin_key, secret or keyward.admin_secret,
                                                   token)
    data = json.dumps(body) if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    request = botocore.awsrequest.AWSRequest(method=method, url=keyward.url + path, data=data, headers=headers)
    botocore.auth.SigV4Auth(credentials, "keyward", "us-east-1").add_auth(request)
    prepared = request.prepare()
    r = requests.request(prepared.method, prepared.url, headers=dict(prepared.headers),
                         data=prepared.body, timeout=30)
    return r.status_code, (r.json() if r.content else None)
