"""An external OpenID Connect provider for the web identity tests: node's oidc-provider
(tests/e2e/idp/server.mjs) over HTTPS on loopback, with a certificate and signing keys made here.

Holding the private keys lets a test forge tokens the provider never issued (expired ones, other
`kid`s) exactly as the provider would sign them; holding the certificate gives its SHA-1
thumbprint, which AWS's CreateOpenIDConnectProvider takes in its ThumbprintList.
"""
import datetime
import hashlib
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import tempfile

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from joserfc.jwk import ECKey, RSAKey

IDP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "idp")
AUDIENCE_PREFIX = "urn:keyward-test:aud:"  # server.mjs: resource=<prefix><aud> gives that aud
TIMEOUT = 30


def node_ready():
    """Why the provider cannot run here, or None: node and the npm packages tests/run installs."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not os.path.isdir(os.path.join(IDP_DIR, "node_modules", "oidc-provider")):
        return f"oidc-provider is not installed: run `npm ci` in {IDP_DIR} (tests/run does)"
    return None


def make_certificate(directory):
    """A self-signed server certificate for 127.0.0.1 (IP SAN, not a CA, serverAuth) in PEM files;
    returns (certificate path, key path, SHA-1 thumbprint in lower-case hex)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    thumbprint = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    return cert_path, key_path, thumbprint


def make_keys(name):
    """A generation of signing keys: {"RS256": RSAKey, "ES256": ECKey}, with kids naming it."""
    return {
        "RS256": RSAKey.generate_key(2048, {"kid": f"{name}-rs256", "alg": "RS256", "use": "sig"}),
        "ES256": ECKey.generate_key("P-256", {"kid": f"{name}-es256", "alg": "ES256", "use": "sig"}),
    }


class Idp:
    """One oidc-provider process on a loopback port, restartable on the same port with other keys."""

    def __init__(self, port, clients, keys):
        """`clients` as server.mjs takes them; `keys`: generations from make_keys, the first signs."""
        self.port = port
        self.issuer = f"https://127.0.0.1:{port}"
        self.dir = tempfile.mkdtemp(prefix="keyward-idp-")
        self.cert, self.key, self.thumbprint = make_certificate(self.dir)
        self.clients = {c["client_id"]: c for c in clients}
        with open(os.path.join(self.dir, "clients.json"), "w") as f:
            json.dump(clients, f)
        self.proc = None
        self.start(keys)

    def start(self, keys):
        self.keys = keys
        jwks = {"keys": [k.as_dict(private=True) for generation in keys for k in generation.values()]}
        with open(os.path.join(self.dir, "jwks.json"), "w") as f:
            json.dump(jwks, f)
        self.log = open(os.path.join(self.dir, "server.log"), "a")
        self.proc = subprocess.Popen(
            ["node", os.path.join(IDP_DIR, "server.mjs"), "--port", str(self.port), "--cert", self.cert,
             "--key", self.key, "--jwks", os.path.join(self.dir, "jwks.json"),
             "--clients", os.path.join(self.dir, "clients.json")],
            cwd=IDP_DIR, env=dict(os.environ, NODE_ENV="production"),
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()  # the process prints one line when it serves, or dies
        if line.strip() != f"listening {self.issuer}":
            self.stop_process()
            with open(os.path.join(self.dir, "server.log")) as f:
                raise RuntimeError(f"the OpenID provider did not start: {line!r} {f.read()}")

    def restart(self, keys):
        """Stops the process and starts it again on the same port, publishing only `keys`."""
        self.stop_process()
        self.start(keys)

    def stop_process(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self.log.close()

    def stop(self):
        self.stop_process()
        shutil.rmtree(self.dir, ignore_errors=True)

    def get(self, path):
        """A GET over HTTPS, trusting only this provider's own certificate."""
        r = requests.get(self.issuer + path, verify=self.cert, timeout=TIMEOUT)
        r.raise_for_status()
        return r.json()

    def discovery(self):
        return self.get("/.well-known/openid-configuration")

    def token(self, client_id, audience):
        """A client_credentials JWT access token of `client_id` whose `aud` is `audience`."""
        r = requests.post(self.discovery()["token_endpoint"], verify=self.cert, timeout=TIMEOUT, data={
            "grant_type": "client_credentials", "client_id": client_id,
            "client_secret": self.clients[client_id]["client_secret"], "scope": "sts",
            "resource": AUDIENCE_PREFIX + audience})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]
