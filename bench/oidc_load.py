#!/usr/bin/env python3
"""OpenID Connect token issuance: Keyward's token endpoint against node's certified
oidc-provider, side by side, on loopback, driven by wrk. Bounded: fixed durations.

- client_credentials with JWT access tokens, signed ES256 (P-256) and RS256 (RSA 2048): one
  form body (`grant_type=client_credentials&scope=...`, client_secret_basic) replayed by wrk
  on each server, after a short warm-up (node's JIT needs it), in rounds that alternate
  between the servers; medians of the rounds. Requests/s, p50 and p99 latency, and each
  server's CPU per token (utime + stime from /proc of its process tree, wrk's not included).
  Before the load, one token per server and algorithm is checked: a JWT whose header has the
  expected alg and `typ: at+jwt` (RFC 9068) and, where the server publishes a JWKS in its
  discovery document, a valid signature.
- The same grant, one different body per request from a file (bench/wrk_bodies.lua, the
  driver of the code exchange below), on oidc-provider: the cost of that driver, to read the
  code-exchange numbers against.
- Keyward only: the authorization-code exchange (`grant_type=authorization_code` with PKCE,
  scope openid: an ID token and an access token per request). A code is single-use, so
  every request has its own body; the codes are made beforehand through the authorization
  endpoint by a signed-in IAM user (make_authorization_codes).

Any run that saw a non-2xx response or a socket error is reported as FAILED, with its counts,
and left out of the ratios. The peer lives in bench/oidc-provider/ (`npm ci` is run there on
first use); it runs in production mode, one node process unless --peer-workers says otherwise.

    cargo build --release                   # not needed with --peer-only
    pip install boto3 cryptography          # boto3 for Keyward's account id
    apt-get install -y wrk
    python3 bench/oidc_load.py [--seconds 10] [--rounds 3] [--peer-only] [--json FILE]
                               [--algs ES256,RS256] [--no-exchange] [--database-url URL]
"""
import argparse
import base64
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from iam_load import free_port, start_keyward, wrk_command, wrk_parse  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_DIR = os.path.join(HERE, "oidc-provider")
BODIES_LUA = os.path.join(HERE, "wrk_bodies.lua")
ALGS = ("ES256", "RS256")
SCOPE = "api:read"
CLIENT_CREDENTIALS = "grant_type=client_credentials&" + urllib.parse.urlencode({"scope": SCOPE})
# The peer's static clients (bench/oidc-provider/server.mjs).
PEER_CLIENTS = {
    "ES256": ("bench-es256", "bench-es256-secret-0123456789abcdef"),
    "RS256": ("bench-rs256", "bench-rs256-secret-0123456789abcdef"),
}
KEYWARD_TOKEN_PATH = "/oauth2/token"
KEYWARD_REDIRECT_URI = "http://127.0.0.1/bench/callback"


class Server:
    def __init__(self, name, proc, base, token_url, clients):
        self.name, self.proc, self.base, self.token_url, self.clients = name, proc, base, token_url, clients


# ---------------------------------------------------------------- servers

def start_peer(workers=1):
    """oidc-provider on a free port; its token endpoint is read from its discovery document."""
    if not os.path.isdir(os.path.join(PEER_DIR, "node_modules", "oidc-provider")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PEER_DIR, check=True,
                       stdout=subprocess.DEVNULL)
    port = free_port()
    env = dict(os.environ, NODE_ENV="production", PEER_WORKERS=str(workers))
    log = tempfile.NamedTemporaryFile("w+", prefix="oidc-provider-", suffix=".log", delete=False)
    proc = subprocess.Popen(["node", "server.mjs", str(port)], cwd=PEER_DIR, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while "listening" not in open(log.name).read():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            sys.exit(f"oidc-provider did not start:\n{open(log.name).read()}")
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    discovery = json.load(urllib.request.urlopen(base + "/.well-known/openid-configuration", timeout=5))
    proc.log = log.name
    return Server("oidc-provider", proc, base, discovery["token_endpoint"], dict(PEER_CLIENTS))


# PostgreSQL for Keyward (--database-url), instead of the embedded store.
DATABASE_URL = None


def keyward_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYWARD_")}
    if DATABASE_URL:
        env["KEYWARD_DATABASE_URL"] = DATABASE_URL
    return env


def keyward_account_id(url, key, secret):
    """The account of the admin credentials that start_keyward read (STS GetCallerIdentity)."""
    import boto3
    sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                       aws_secret_access_key=secret)
    return sts.get_caller_identity()["Account"]


def create_keyward_client(binary, data_dir, account, name, alg, grant_types=("client_credentials",),
                          redirect_uri=None):
    """`keyward oidc client create ... --json` against the data dir of the running server."""
    args = [binary, "oidc", "client", "create", "--data-dir", data_dir, "--account", account,
            "--name", name, "--scope", SCOPE, "--signing-alg", alg, "--json"]
    for grant in grant_types:
        args += ["--grant-type", grant]
    if redirect_uri:
        args += ["--redirect-uri", redirect_uri]
    out = subprocess.run(args, env=keyward_env(), capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({out.returncode}):\n{out.stderr}")
    created = json.loads(out.stdout)
    return created["client_id"], created["client_secret"]


def start_keyward_oidc(binary, data_dir):
    """Keyward as in iam_load.py (release binary, embedded store, random port), with one
    client_credentials client per signing algorithm, created with the CLI while it runs."""
    if not os.access(binary, os.X_OK):
        sys.exit(f"{binary} not found: cargo build --release first, or run with --peer-only")
    # Codes live ten minutes here (the most RFC 6749 allows), so that all the codes of a run
    # can be made before it starts.
    extra = {"KEYWARD_OIDC_CODE_LIFETIME": "600"}
    if DATABASE_URL:
        extra["KEYWARD_DATABASE_URL"] = DATABASE_URL
    proc, url, key, secret = start_keyward(binary, data_dir, extra)
    account = keyward_account_id(url, key, secret)
    clients = {alg: create_keyward_client(binary, data_dir, account, f"bench-{alg.lower()}", alg)
               for alg in ALGS}
    server = Server("keyward", proc, url, url + KEYWARD_TOKEN_PATH, clients)
    server.account, server.data_dir, server.binary = account, data_dir, binary
    server.admin = (key, secret)
    return server


def stop(server):
    server.proc.terminate()
    try:
        server.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
    if getattr(server.proc, "log", None):
        os.unlink(server.proc.log)


def tree_cpu_seconds(pid):
    """utime + stime of a process and all its descendants (node's cluster workers)."""
    total, stack = 0.0, [pid]
    while stack:
        p = stack.pop()
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in os.listdir(f"/proc/{p}/task"):
                stack += [int(c) for c in open(f"/proc/{p}/task/{task}/children").read().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


# ---------------------------------------------------------------- requests

def basic_auth(client_id, secret):
    """client_secret_basic: each part form-encoded, then base64 (RFC 6749 section 2.3.1)."""
    pair = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def token_headers(server, alg):
    return {"Authorization": basic_auth(*server.clients[alg]),
            "Content-Type": "application/x-www-form-urlencoded"}


def b64json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def verify_signature(server, token, header):
    """True/False where the server's discovery document names a JWKS, else None."""
    try:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
        discovery = json.load(urllib.request.urlopen(server.base + "/.well-known/openid-configuration",
                                                     timeout=5))
        keys = json.load(urllib.request.urlopen(discovery["jwks_uri"], timeout=5))["keys"]
    except (ImportError, OSError, KeyError, ValueError):
        return None
    key = next((k for k in keys if k.get("kid") == header.get("kid")), None) \
        or next((k for k in keys if k.get("alg") == header["alg"]), None)
    if key is None:
        return False
    signing_input, signature = token.rsplit(".", 1)[0].encode(), base64.urlsafe_b64decode(
        token.rsplit(".", 1)[1] + "=" * (-len(token.rsplit(".", 1)[1]) % 4))

    def integer(name):
        return int.from_bytes(base64.urlsafe_b64decode(key[name] + "=" * (-len(key[name]) % 4)), "big")
    try:
        if header["alg"] == "ES256":
            public = ec.EllipticCurvePublicNumbers(integer("x"), integer("y"), ec.SECP256R1()).public_key()
            der = utils.encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                             int.from_bytes(signature[32:], "big"))
            public.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        elif header["alg"] == "RS256":
            public = rsa.RSAPublicNumbers(integer("e"), integer("n")).public_key()
            public.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except Exception:  # cryptography's InvalidSignature, or a malformed key
        return False
    return True


def check_token(server, alg, body=CLIENT_CREDENTIALS):
    """One token request; returns (problem or None, notes). A problem fails that server's row."""
    request = urllib.request.Request(server.token_url, data=body.encode(), headers=token_headers(server, alg),
                                     method="POST")
    try:
        answer = json.load(urllib.request.urlopen(request, timeout=10))
    except urllib.error.HTTPError as e:
        return f"token request failed: HTTP {e.code} {e.read()[:300]!r}", []
    except (OSError, ValueError) as e:
        return f"token request failed: {e}", []
    token, notes = answer.get("access_token", ""), []
    if answer.get("token_type", "").lower() != "bearer":
        return f"token_type is {answer.get('token_type')!r}, not Bearer", notes
    if token.count(".") != 2:
        return "access_token is not a JWS compact JWT", notes
    try:
        header, payload = b64json(token.split(".")[0]), b64json(token.split(".")[1])
    except ValueError:
        return "access_token's header or payload is not base64url JSON", notes
    if header.get("alg") != alg:
        return f"access token is signed {header.get('alg')}, expected {alg}", notes
    if header.get("typ", "").lower() not in ("at+jwt", "application/at+jwt"):
        notes.append(f"{server.name} {alg}: access token typ is {header.get('typ')!r}, not at+jwt (RFC 9068)")
    valid = verify_signature(server, token, header)
    if valid is False:
        return "access token signature does not verify against the server's JWKS", notes
    if valid is None:
        notes.append(f"{server.name} {alg}: signature not checked (no JWKS in a discovery document)")
    missing = [c for c in ("iss", "exp", "iat", "client_id", "jti") if c not in payload]
    if missing:
        notes.append(f"{server.name} {alg}: access token lacks {', '.join(missing)}")
    return None, notes


# ---------------------------------------------------------------- wrk

def judged(r):
    """A wrk result with `failed` set to the reason when any request failed."""
    errors = []
    if r["non2xx"]:
        errors.append(f"{r['non2xx']} non-2xx")
    errors += [f"{n} socket {kind}" for kind, n in r["socket_errors"].items() if n]
    if not r["requests"]:
        errors.append("no responses")
    r["failed"] = ", ".join(errors) or None
    return r


def run_wrk(url, headers, seconds, connections, body, pid=None):
    """POST one body for `seconds`; with `pid`, that server's CPU seconds per response too."""
    args, script = wrk_command(url, headers, seconds, connections, method="POST", body=body)
    try:
        before = tree_cpu_seconds(pid) if pid else None
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        cpu = tree_cpu_seconds(pid) - before if pid else None
    finally:
        if script:
            os.unlink(script)
    r = judged(wrk_parse(out))
    if cpu is not None and r["requests"]:
        r["cpu_us"] = cpu / r["requests"] * 1e6
    return r


def wrk_bodies(url, headers, bodies, connections, max_seconds, pid=None):
    """POST each of `bodies` once (bench/wrk_bodies.lua), for at most `max_seconds`. The rate is
    responses over the time from the first request to the last response, as timed by the
    script (wrk's own Requests/sec divides by -d). Fails when a sent body got no response."""
    args, script = wrk_command(url, headers, max_seconds, connections)
    assert script is None
    threads = int(next(a for a in args if re.fullmatch(r"-t\d+", a))[2:])
    args = args[:-1] + ["-s", BODIES_LUA, args[-1]]
    work = tempfile.mkdtemp(prefix="wrk-bodies-")
    path = os.path.join(work, "bodies")
    with open(path, "w") as f:
        for b in bodies:
            assert "\n" not in b
            f.write(b + "\n")
    env = dict(os.environ, WRK_BODIES=path, WRK_BODIES_THREADS=str(threads))
    try:
        before = tree_cpu_seconds(pid) if pid else None
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # wrk sleeps for all of -d; end it once every thread has used up its share.
        exhausted = False
        while proc.poll() is None:
            if all(os.path.exists(f"{path}.done.{i}") for i in range(threads)):
                exhausted = True
                proc.send_signal(signal.SIGINT)
                break
            time.sleep(0.02)
        out, err = proc.communicate(timeout=max_seconds + 60)
        cpu = tree_cpu_seconds(pid) - before if pid else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if proc.returncode != 0:
        sys.exit(f"wrk failed ({proc.returncode}):\n{out}\n{err}")
    m = re.search(r"wrk_bodies: bodies=(\d+) sent=(\d+) responses=(\d+) not_sent=(\d+) seconds=([\d.]+)", out)
    if not m:
        sys.exit(f"wrk_bodies.lua printed no summary:\n{out}\n{err}")
    total, sent, responses, not_sent = (int(m.group(i)) for i in range(1, 5))
    seconds = float(m.group(5))
    r = wrk_parse(out)
    r.update(bodies=total, sent=sent, not_sent=not_sent, script_seconds=seconds, exhausted=exhausted,
             rps=responses / seconds if seconds > 0 else 0.0)
    judged(r)
    # Ended by -d, wrk drops the requests still in flight (at most one per connection).
    lost = sent - responses if exhausted else max(0, sent - responses - connections)
    if lost and not r["failed"]:
        r["failed"] = f"{lost} of {sent} sent bodies got no response"
    if cpu is not None and responses:
        r["cpu_us"] = cpu / responses * 1e6
    return r


# ---------------------------------------------------------------- measurements

def measure_client_credentials(server, alg, seconds, warmup, connections):
    problem, notes = check_token(server, alg)
    if problem:
        return {"failed": problem}, notes
    headers = token_headers(server, alg)
    if warmup:
        w = run_wrk(server.token_url, headers, warmup, connections, CLIENT_CREDENTIALS)
        if w["failed"]:
            return {"failed": f"warm-up: {w['failed']}"}, notes
    return run_wrk(server.token_url, headers, seconds, connections, CLIENT_CREDENTIALS, server.proc.pid), notes


def measure_bodies_driver(server, alg, seconds, connections, rate):
    """client_credentials again, each body different (an unused `n` parameter, which the
    provider ignores), through wrk_bodies.lua: enough bodies for about `seconds` at `rate`."""
    count = max(1000, int(rate * seconds * 1.1))
    bodies = [f"{CLIENT_CREDENTIALS}&n={i}" for i in range(count)]
    return wrk_bodies(server.token_url, token_headers(server, alg), bodies, connections, seconds * 3,
                      server.proc.pid)


def create_code_client(server, alg):
    """A confidential code-flow client whose tokens are signed `alg`, that asks no consent."""
    args = [server.binary, "oidc", "client", "create", "--data-dir", server.data_dir, "--account",
            server.account, "--name", f"bench-code-{alg.lower()}", "--scope", "openid", "--signing-alg", alg,
            "--grant-type", "authorization_code", "--redirect-uri", KEYWARD_REDIRECT_URI, "--no-consent",
            "--json"]
    out = subprocess.run(args, env=keyward_env(), capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({out.returncode}):\n{out.stderr}")
    created = json.loads(out.stdout)
    return created["client_id"], created["client_secret"]


CODE_USER, CODE_PASSWORD = "bench-user", "Bench-User-Passw0rd!"


def signed_in_opener(server):
    """An HTTP client with a portal session of an IAM user (made once per server)."""
    import boto3
    from http.cookiejar import CookieJar
    if not getattr(server, "code_user", False):
        iam = boto3.client("iam", endpoint_url=server.base, region_name="us-east-1",
                           aws_access_key_id=server.admin[0], aws_secret_access_key=server.admin[1])
        iam.create_user(UserName=CODE_USER)
        iam.create_login_profile(UserName=CODE_USER, Password=CODE_PASSWORD, PasswordResetRequired=False)
        server.code_user = True

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(f"{server.base}/signin").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "account": server.account, "username": CODE_USER,
                                   "password": CODE_PASSWORD}).encode()
    try:
        opener.open(f"{server.base}/signin", data=form)
    except urllib.error.HTTPError as e:
        if e.code != 303:
            raise
    return opener


def make_authorization_codes(server, alg, count, redirect_uri=KEYWARD_REDIRECT_URI):
    """A client (create_code_client) and `count` fresh authorization codes for it, each with its
    PKCE verifier: (client, [(code, code_verifier), ...]), made through the authorization
    endpoint with a signed-in session, from a few threads."""
    import hashlib
    import secrets
    from concurrent.futures import ThreadPoolExecutor
    client = create_code_client(server, alg)
    opener = signed_in_opener(server)

    def one(_):
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urllib.parse.urlencode({"response_type": "code", "client_id": client[0], "redirect_uri": redirect_uri,
                                        "scope": "openid", "code_challenge": challenge,
                                        "code_challenge_method": "S256", "state": "bench"})
        try:
            opener.open(f"{server.base}/oauth2/authorize?{query}")
        except urllib.error.HTTPError as e:
            location = e.headers.get("Location", "")
            code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query).get("code")
            if e.code == 303 and code:
                return code[0], verifier
            raise RuntimeError(f"authorize answered {e.code} {location}")
        raise RuntimeError("authorize did not redirect")

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(one, range(count)))
    return client, codes


def code_exchange_bodies(codes, redirect_uri=KEYWARD_REDIRECT_URI):
    return ["grant_type=authorization_code&" + urllib.parse.urlencode(
        {"code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}) for code, verifier in codes]


def measure_code_exchange(server, alg, seconds, connections, count):
    """Keyward's authorization-code exchange: each code used once, through wrk_bodies.lua."""
    client, codes = make_authorization_codes(server, alg, count)
    headers = {"Authorization": basic_auth(*client), "Content-Type": "application/x-www-form-urlencoded"}
    return wrk_bodies(server.token_url, headers, code_exchange_bodies(codes), connections, seconds * 3,
                      server.proc.pid)


def median_of_rounds(results):
    """One row from the rounds of a measurement: medians, or failed if any round failed."""
    for i, r in enumerate(results):
        if r.get("failed"):
            return {"failed": f"round {i + 1}: {r['failed']}" if len(results) > 1 else r["failed"]}
    row = {k: statistics.median(r[k] for r in results) for k in ("rps", "p50", "p99", "cpu_us")}
    row["rounds_rps"] = [r["rps"] for r in results]
    return row


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=10, help="each measured run")
    ap.add_argument("--warmup", type=int, default=3,
                    help="seconds of unmeasured load for each server and algorithm, before its first run")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--binary", default="target/release/keyward")
    ap.add_argument("--peer-only", action="store_true", help="measure oidc-provider only (no Keyward)")
    ap.add_argument("--peer-workers", type=int, default=1,
                    help="oidc-provider processes (node:cluster); 1 is its default deployment")
    ap.add_argument("--codes", type=int, default=0,
                    help="authorization codes for Keyward's code exchange [default: enough for --seconds]")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--algs", default=",".join(ALGS), help="signing algorithms, comma-separated")
    ap.add_argument("--no-exchange", action="store_true", help="client_credentials only")
    ap.add_argument("--database-url", metavar="URL",
                    help="an empty PostgreSQL database for Keyward, instead of its embedded store")
    args = ap.parse_args()
    global DATABASE_URL
    DATABASE_URL = args.database_url
    algs = [a for a in args.algs.split(",") if a]
    if any(a not in ALGS for a in algs):
        sys.exit(f"--algs: each of {', '.join(ALGS)}")

    servers, rows, notes = [], [], []
    data_dir = None
    try:
        if not args.peer_only:
            data_dir = tempfile.mkdtemp(prefix="keyward-oidc-load-")
            servers.append(start_keyward_oidc(args.binary, data_dir))
        servers.append(start_peer(args.peer_workers))
        # Rounds alternate between the servers, so that a passing disturbance of the machine lands
        # on both; the warm-up is run in the first round only.
        rounds = {(alg, server.name): [] for alg in algs for server in servers}
        for i in range(args.rounds):
            for alg in algs:
                for server in servers:
                    r, n = measure_client_credentials(server, alg, args.seconds, args.warmup if i == 0 else 0,
                                                      args.connections)
                    rounds[(alg, server.name)].append(r)
                    if i == 0:
                        notes += n
        for (alg, name), results in rounds.items():
            rows.append(("client_credentials", alg, name, median_of_rounds(results)))
        peer = servers[-1]
        base = next(r for g, a, s, r in rows if s == peer.name and a == algs[0])
        if not base.get("failed") and not args.no_exchange:
            r = measure_bodies_driver(peer, algs[0], args.seconds, args.connections, base["rps"])
            rows.append(("client_credentials, a body per request (wrk_bodies.lua)", algs[0], peer.name, r))
            notes.append(f"wrk_bodies.lua on {peer.name}: {r['sent']} of {r['bodies']} bodies sent in "
                         f"{r['script_seconds']:.2f} s, {r['not_sent']} requests beyond the list not sent")
        if not args.peer_only and not args.no_exchange:
            keyward = servers[0]
            for alg in algs:
                # Enough codes for the run at the rate of client_credentials with this alg.
                kw = next(r for g, a, s, r in rows if s == keyward.name and a == alg)
                count = args.codes or max(1000, int((kw.get("rps") or 1000) * args.seconds * 1.1))
                r = measure_code_exchange(keyward, alg, args.seconds, args.connections, count)
                rows.append(("authorization_code exchange", alg, keyward.name, r))
    finally:
        for server in servers:
            stop(server)
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)

    print("| grant | alg | server | requests/s | p50 ms | p99 ms | CPU µs/token | rounds (requests/s) | status |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |")
    for grant, alg, name, r in rows:
        if r.get("skipped"):
            print(f"| {grant} | {alg} | {name} | | | | | | skipped: {r['skipped']} |")
        elif r.get("failed"):
            print(f"| {grant} | {alg} | {name} | | | | | | FAILED: {r['failed']} |")
        else:
            cpu = f"{r['cpu_us']:.0f}" if "cpu_us" in r else ""
            spread = ", ".join(f"{x:.0f}" for x in r.get("rounds_rps", []))
            print(f"| {grant} | {alg} | {name} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {cpu} "
                  f"| {spread} | ok |")
    if not args.peer_only:
        for alg in algs:
            k, p = (next(r for g, a, s, r in rows if g == "client_credentials" and a == alg and s == n)
                    for n in ("keyward", "oidc-provider"))
            if not k.get("failed") and not p.get("failed"):
                notes.append(f"client_credentials {alg}: Keyward / oidc-provider throughput = "
                             f"{k['rps'] / p['rps']:.1f}x")
            x = next((r for g, a, s, r in rows if g == "authorization_code exchange" and a == alg), None)
            if x and not x.get("failed") and not k.get("failed"):
                notes.append(f"authorization_code exchange {alg}: {100 * x['rps'] / k['rps']:.0f}% of Keyward's "
                             f"client_credentials throughput")
    notes.append(f"{args.connections} connections, {args.rounds} rounds of {args.seconds} s runs (medians), "
                 f"after {args.warmup} s of warm-up; "
                 f"oidc-provider: {args.peer_workers} node process(es), node {node_version()}, "
                 f"oidc-provider {peer_version()}; {os.cpu_count()} CPUs shared with wrk")
    for n in notes:
        print(f"\n{n}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": [{"grant": g, "alg": a, "server": s, **r} for g, a, s, r in rows],
                       "notes": notes, "args": vars(args)}, f, indent=2)
    if any(r.get("failed") for *_, r in rows):
        sys.exit(1)


def node_version():
    return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()


def peer_version():
    try:
        return json.load(open(os.path.join(PEER_DIR, "node_modules", "oidc-provider", "package.json")))["version"]
    except OSError:
        return "?"


if __name__ == "__main__":
    main()
