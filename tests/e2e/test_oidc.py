"""The OpenID provider's machine-to-machine side through Authlib, an OAuth 2.0 client library
nobody here wrote: client_credentials with client_secret_basic and with private_key_jwt (keys
made here, public halves registered with --jwks), token introspection (RFC 7662) and
revocation (RFC 7009), a wrong secret, and the SigV4-signed client API (create, list, get,
edit, secret rotation with a grace period, delete, AccessDenied) and users' email API, signed with botocore. Tokens are checked with
joserfc against the published JWKS, as a resource server would."""
import json
import subprocess
import time

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from conftest import BIN, signed

TIMEOUT = 30
ALGORITHMS = ["RS256", "ES256", "EdDSA"]


def create_client(keyward, *args):
    """`keyward oidc client create ... --json` against the server's store (it need not restart)."""
    out = subprocess.run(
        [BIN, "oidc", "client", "create", "--data-dir", keyward.dir, "--account", keyward.account,
         "--json", *args],
        env=keyward.env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def service_client(keyward, *args):
    return create_client(keyward, "--name", "svc", "--grant-type", "client_credentials",
                         "--scope", "orders:read", "--scope", "orders:write", *args)


@pytest.fixture(scope="module")
def provider(keyward):
    """The discovery document."""
    r = requests.get(keyward.url + "/.well-known/openid-configuration", timeout=TIMEOUT)
    assert r.status_code == 200
    return r.json()


def session(client_id, secret, **kwargs):
    s = OAuth2Session(client_id, secret, default_timeout=TIMEOUT, **kwargs)
    responses = []
    # Authlib raises on an error body; the hook keeps the HTTP response for its status.
    s.register_compliance_hook("access_token_response", lambda r: responses.append(r) or r)
    s.responses = responses
    return s


def verified(provider, token):
    """The header and claims of a JWT of the provider, its signature checked with the JWKS."""
    keys = requests.get(provider["jwks_uri"], timeout=TIMEOUT).json()
    decoded = jwt.decode(token, KeySet.import_key_set(keys), algorithms=ALGORITHMS)
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": provider["issuer"]},
                          exp={"essential": True}).validate(decoded.claims)
    return decoded.header, decoded.claims


def test_discovery_names_the_endpoints(keyward, provider):
    assert provider["issuer"] == keyward.url
    for name, path in [("token_endpoint", "/oauth2/token"), ("jwks_uri", "/oauth2/jwks"),
                       ("introspection_endpoint", "/oauth2/introspect"),
                       ("revocation_endpoint", "/oauth2/revoke")]:
        assert provider[name] == keyward.url + path, name
    assert "client_credentials" in provider["grant_types_supported"]
    for method in ["client_secret_basic", "private_key_jwt"]:
        assert method in provider["token_endpoint_auth_methods_supported"]
        assert method in provider["introspection_endpoint_auth_methods_supported"]
        assert method in provider["revocation_endpoint_auth_methods_supported"]


def test_client_credentials_with_client_secret_basic_then_introspection_and_revocation(keyward, provider):
    c = service_client(keyward)
    client_id, secret = c["client_id"], c["client_secret"]
    assert c["token_endpoint_auth_method"] == "client_secret_basic"
    s = session(client_id, secret, token_endpoint_auth_method="client_secret_basic", scope="orders:read")
    token = s.fetch_token(provider["token_endpoint"], grant_type="client_credentials")
    response = s.responses[-1]
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.request.headers["Authorization"].startswith("Basic "), "Authlib used HTTP Basic"
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "orders:read"
    assert token["expires_in"] == 3600
    assert "refresh_token" not in token and "id_token" not in token

    header, claims = verified(provider, token["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256"
    assert claims["sub"] == client_id and claims["client_id"] == client_id
    assert claims["scope"] == "orders:read"
    assert claims["exp"] - claims["iat"] == 3600

    # RFC 7662: active, with the token's facts.
    r = s.introspect_token(provider["introspection_endpoint"], token=token["access_token"],
                           token_type_hint="access_token")
    assert r.status_code == 200, r.text
    info = r.json()
    assert info["active"] is True
    assert info["client_id"] == client_id and info["sub"] == client_id
    assert info["scope"] == "orders:read"
    assert info["iss"] == keyward.url
    assert info["exp"] == claims["exp"] and info["token_type"] == "Bearer"

    # Without a scope the client gets every scope it may have.
    everything = s.fetch_token(provider["token_endpoint"], grant_type="client_credentials", scope="")
    assert sorted(everything["scope"].split()) == ["orders:read", "orders:write"]
    s.scope = "orders:delete"
    with pytest.raises(OAuthError) as e:
        s.fetch_token(provider["token_endpoint"], grant_type="client_credentials")
    assert e.value.error == "invalid_scope"

    # RFC 7009: revoked, then inactive and nothing more (RFC 7662 section 2.2).
    r = s.revoke_token(provider["revocation_endpoint"], token=token["access_token"],
                       token_type_hint="access_token")
    assert r.status_code == 200, r.text
    r = s.introspect_token(provider["introspection_endpoint"], token=token["access_token"])
    assert r.status_code == 200
    assert r.json() == {"active": False}
    r = s.introspect_token(provider["introspection_endpoint"], token=everything["access_token"])
    assert r.json()["active"] is True, "revoking one access token leaves the others"
    # Revoking what is unknown or already revoked is answered like the rest (RFC 7009 2.2).
    for again in [token["access_token"], "not-a-token"]:
        assert s.revoke_token(provider["revocation_endpoint"], token=again).status_code == 200


def keypair(kind):
    if kind == "RSA":
        key = RSAKey.generate_key(2048, parameters={"kid": "rp-rsa-1", "alg": "RS256", "use": "sig"})
        return key, "RS256"
    key = ECKey.generate_key("P-256", parameters={"kid": "rp-ec-1", "alg": "ES256", "use": "sig"})
    return key, "ES256"


@pytest.mark.parametrize("kind", ["RSA", "EC"])
def test_client_credentials_with_private_key_jwt(keyward, provider, kind, tmp_path):
    key, alg = keypair(kind)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    c = service_client(keyward, "--auth-method", "private_key_jwt", "--jwks", str(jwks))
    client_id = c["client_id"]
    assert "client_secret" not in c, "a private_key_jwt client has no secret"
    assert c["jwks"]["keys"][0]["kid"] == key.kid
    token_url = provider["token_endpoint"]
    auth = PrivateKeyJWT(token_url, alg=alg)
    s = session(client_id, key, token_endpoint_auth_method=auth, revocation_endpoint_auth_method=auth,
                scope="orders:write")
    token = s.fetch_token(token_url, grant_type="client_credentials")
    sent = s.responses[-1].request
    assert "client_assertion=" in sent.body and "Authorization" not in sent.headers
    assert token["scope"] == "orders:write"
    _, claims = verified(provider, token["access_token"])
    assert claims["sub"] == client_id

    r = s.introspect_token(provider["introspection_endpoint"], token=token["access_token"])
    assert r.status_code == 200, r.text
    assert r.json()["active"] is True and r.json()["client_id"] == client_id
    r = s.revoke_token(provider["revocation_endpoint"], token=token["access_token"])
    assert r.status_code == 200, r.text
    r = s.introspect_token(provider["introspection_endpoint"], token=token["access_token"])
    assert r.json() == {"active": False}

    # One assertion works once (its jti is remembered until it expires).
    assertion = private_key_jwt_sign(key, client_id, token_url, alg=alg)
    form = {"grant_type": "client_credentials", "client_id": client_id,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion}
    first = requests.post(token_url, data=form, timeout=TIMEOUT)
    assert first.status_code == 200, first.text
    replayed = requests.post(token_url, data=form, timeout=TIMEOUT)
    assert replayed.status_code == 401, replayed.text
    assert replayed.json()["error"] == "invalid_client"

    # An assertion signed by another key with the registered kid is refused.
    other, _ = keypair(kind)
    forged = session(client_id, other, token_endpoint_auth_method=PrivateKeyJWT(token_url, alg=alg))
    with pytest.raises(OAuthError) as e:
        forged.fetch_token(token_url, grant_type="client_credentials")
    assert e.value.error == "invalid_client"
    assert forged.responses[-1].status_code == 401


def test_a_wrong_secret_is_refused(keyward, provider):
    c = service_client(keyward)
    client_id, secret = c["client_id"], c["client_secret"]
    wrong = session(client_id, secret[:-2] + ("AA" if not secret.endswith("AA") else "BB"),
                    token_endpoint_auth_method="client_secret_basic")
    with pytest.raises(OAuthError) as e:
        wrong.fetch_token(provider["token_endpoint"], grant_type="client_credentials")
    assert e.value.error == "invalid_client"
    response = wrong.responses[-1]
    # RFC 6749 5.2: a client that used the Authorization header gets 401 and a challenge.
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    for endpoint in ["introspection_endpoint", "revocation_endpoint"]:
        r = wrong.introspect_token(provider[endpoint], token="x") if endpoint.startswith("intro") \
            else wrong.revoke_token(provider[endpoint], token="x")
        assert r.status_code == 401, (endpoint, r.text)
        assert r.json()["error"] == "invalid_client"
    # The right secret sent the way the client did not register (client_secret_post).
    post = session(client_id, secret, token_endpoint_auth_method="client_secret_post")
    with pytest.raises(OAuthError) as e:
        post.fetch_token(provider["token_endpoint"], grant_type="client_credentials")
    assert e.value.error == "invalid_client"
    # The right one works.
    right = session(client_id, secret, token_endpoint_auth_method="client_secret_basic")
    assert right.fetch_token(provider["token_endpoint"], grant_type="client_credentials")["access_token"]


# The SigV4-signed client API (conftest.signed).

def user_with_key(iam, name, policy=None):
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


REGISTRATION = {
    "client_name": "Orders API",
    "redirect_uris": ["https://orders.example.com/callback"],
    "post_logout_redirect_uris": ["https://orders.example.com/signed-out"],
    "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
    "token_endpoint_auth_method": "client_secret_post",
    "scope": "openid profile orders:read",
    "id_token_signed_response_alg": "EdDSA",
    "consent_required": False,
}


# joserfc warns that RFC 9864 deprecates the polymorphic "EdDSA" (for "Ed25519"); Keyward's
# clients name it EdDSA, as OpenID Connect's registries still do.
@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
def test_the_sigv4_client_api_creates_lists_gets_and_deletes(keyward, provider):
    status, created = signed(keyward, "POST", "/keyward/oidc/clients", REGISTRATION)
    assert status == 201, created
    client_id, secret = created["client_id"], created["client_secret"]
    assert created["account_id"] == keyward.account
    for name in ["client_name", "redirect_uris", "post_logout_redirect_uris", "grant_types",
                 "token_endpoint_auth_method", "scope", "id_token_signed_response_alg",
                 "consent_required"]:
        assert created[name] == REGISTRATION[name], name

    # The client works at once, as registered: client_secret_post, EdDSA.
    s = session(client_id, secret, token_endpoint_auth_method="client_secret_post", scope="orders:read")
    token = s.fetch_token(provider["token_endpoint"], grant_type="client_credentials")
    header, claims = verified(provider, token["access_token"])
    assert header["alg"] == "EdDSA" and claims["client_id"] == client_id

    status, listed = signed(keyward, "GET", "/keyward/oidc/clients")
    assert status == 200, listed
    mine = [c for c in listed["clients"] if c["client_id"] == client_id]
    assert len(mine) == 1 and mine[0]["client_name"] == "Orders API"
    assert all("client_secret" not in c for c in listed["clients"]), "the secret is shown once"

    status, got = signed(keyward, "GET", f"/keyward/oidc/clients/{client_id}")
    assert status == 200, got
    assert "client_secret" not in got
    assert got == {k: v for k, v in created.items() if k != "client_secret"}

    status, invalid = signed(keyward, "POST", "/keyward/oidc/clients",
                             dict(REGISTRATION, redirect_uris=["http://orders.example.com/cb"]))
    assert status == 400, invalid
    assert invalid["error"]["code"] == "ValidationError" and "http" in invalid["error"]["message"]

    status, deleted = signed(keyward, "DELETE", f"/keyward/oidc/clients/{client_id}")
    assert status == 200, deleted
    status, gone = signed(keyward, "GET", f"/keyward/oidc/clients/{client_id}")
    assert status == 404, gone
    assert gone["error"]["code"] == "NoSuchEntity"
    status, listed = signed(keyward, "GET", "/keyward/oidc/clients")
    assert client_id not in [c["client_id"] for c in listed["clients"]]
    with pytest.raises(OAuthError) as e:
        s.fetch_token(provider["token_endpoint"], grant_type="client_credentials")
    assert e.value.error == "invalid_client", "a deleted client's secret no longer works"


def cli(keyward, *args):
    """`keyward oidc client ...` against the server's store: (exit status, stdout, stderr)."""
    out = subprocess.run([BIN, "oidc", "client", *args, "--data-dir", keyward.dir,
                          "--account", keyward.account],
                         env=keyward.env, capture_output=True, text=True, timeout=60)
    return out.returncode, out.stdout, out.stderr


def fetch(provider, client_id, secret, **params):
    """client_credentials with client_secret_post: the token, or the OAuth error's code."""
    s = session(client_id, secret, token_endpoint_auth_method="client_secret_post")
    try:
        return s.fetch_token(provider["token_endpoint"], grant_type="client_credentials", **params)
    except OAuthError as e:
        return e.error


def test_the_sigv4_client_api_edits_and_rotates_with_a_grace_period(keyward, provider):
    status, created = signed(keyward, "POST", "/keyward/oidc/clients", REGISTRATION)
    assert status == 201, created
    client_id, first = created["client_id"], created["client_secret"]
    path = f"/keyward/oidc/clients/{client_id}"

    # An edit replaces the fields it names; the rest, the id and the secret stay.
    status, edited = signed(keyward, "PATCH", path, {
        "redirect_uris": ["https://orders.example.com/callback2"],
        "scope": "openid orders:read orders:write",
        "id_token_signed_response_alg": "ES256",
        "access_token_lifetime": 900,
    })
    assert status == 200, edited
    assert edited["redirect_uris"] == ["https://orders.example.com/callback2"]
    assert edited["id_token_signed_response_alg"] == "ES256"
    assert edited["client_name"] == REGISTRATION["client_name"]
    assert edited["post_logout_redirect_uris"] == REGISTRATION["post_logout_redirect_uris"]
    token = fetch(provider, client_id, first, scope="orders:write")
    assert token["expires_in"] == 900, token
    header, _ = verified(provider, token["access_token"])
    assert header["alg"] == "ES256"

    # Refusals change nothing: a rule broken, a field that cannot change, an unknown client.
    for body in [{"redirect_uris": ["http://orders.example.com/cb"]},
                 {"access_token_lifetime": 5},
                 {"token_endpoint_auth_method": "none"},
                 {"client_secret": "chosen-by-me"}]:
        status, answer = signed(keyward, "PATCH", path, body)
        assert status == 400 and answer["error"]["code"] == "ValidationError", (body, answer)
    status, answer = signed(keyward, "PATCH", "/keyward/oidc/clients/nosuchclient", {"client_name": "x"})
    assert status == 404 and answer["error"]["code"] == "NoSuchEntity", answer
    status, got = signed(keyward, "GET", path)
    assert got == edited

    # A rotation: the new secret once, the old one until the grace period ends.
    for body in [None, {}, {"grace_period_seconds": -1}, {"grace_period_seconds": 31 * 86400},
                 {"grace_period_seconds": "1h"}]:
        status, answer = signed(keyward, "POST", path + "/secret", body)
        assert status == 400 and answer["error"]["code"] == "ValidationError", (body, answer)
    assert "access_token" in fetch(provider, client_id, first), "refused rotations changed nothing"
    status, rotated = signed(keyward, "POST", path + "/secret", {"grace_period_seconds": 3})
    assert status == 200, rotated
    second = rotated["client_secret"]
    assert second != first and rotated["previous_secret_expires_at"]
    status, got = signed(keyward, "GET", path)
    assert "client_secret" not in got and got["previous_secret_expires_at"]
    assert "access_token" in fetch(provider, client_id, second)
    assert "access_token" in fetch(provider, client_id, first), "the grace period"
    time.sleep(3.5)
    assert fetch(provider, client_id, first) == "invalid_client", "the grace period has ended"
    assert "access_token" in fetch(provider, client_id, second)
    status, got = signed(keyward, "GET", path)
    assert got["previous_secret_expires_at"] is None

    # The CLI does the same against the store.
    code, out, err = cli(keyward, "rotate-secret", client_id, "--grace-period-seconds", "3600", "--json")
    assert code == 0, err
    third = json.loads(out)
    assert third["previous_secret_expires_at"] and third["client_secret"] not in (first, second)
    code, out, err = cli(keyward, "rotate-secret", client_id, "--grace-period-seconds", "9999999")
    assert code != 0 and "grace period" in err, (out, err)
    code, out, err = cli(keyward, "update", client_id, "--name", "Orders API v2", "--signing-alg", "EdDSA",
                         "--json")
    assert code == 0, err
    updated = json.loads(out)
    assert (updated["client_name"], updated["id_token_signed_response_alg"]) == ("Orders API v2", "EdDSA")
    assert updated["redirect_uris"] == edited["redirect_uris"]
    code, out, err = cli(keyward, "update", client_id, "--redirect-uri", "http://evil.example/cb")
    assert code != 0 and "only https" in err, (out, err)

    # A public client has no secret to rotate.
    public = dict(REGISTRATION, token_endpoint_auth_method="none",
                  grant_types=["authorization_code"])
    status, created = signed(keyward, "POST", "/keyward/oidc/clients", public)
    assert status == 201, created
    status, answer = signed(keyward, "POST", f"/keyward/oidc/clients/{created['client_id']}/secret",
                            {"grace_period_seconds": 0})
    assert status == 400 and "no secret" in answer["error"]["message"], answer


def test_the_sigv4_client_api_is_denied_without_permission(keyward, iam, name):
    status, created = signed(keyward, "POST", "/keyward/oidc/clients", REGISTRATION)
    assert status == 201, created
    client_id = created["client_id"]
    arn = f"arn:aws:keyward::{keyward.account}:oidc-client/{client_id}"

    key, secret = user_with_key(iam, name)
    for method, path, body in [("POST", "/keyward/oidc/clients", REGISTRATION),
                               ("GET", "/keyward/oidc/clients", None),
                               ("GET", f"/keyward/oidc/clients/{client_id}", None),
                               ("PATCH", f"/keyward/oidc/clients/{client_id}", {"client_name": "x"}),
                               ("POST", f"/keyward/oidc/clients/{client_id}/secret",
                                {"grace_period_seconds": 0}),
                               ("DELETE", f"/keyward/oidc/clients/{client_id}", None)]:
        status, answer = signed(keyward, method, path, body, key=key, secret=secret)
        assert status == 403, (method, path, answer)
        assert answer["error"]["code"] == "AccessDenied", answer
        assert f"user/{name} is not authorized to perform: keyward:" in answer["error"]["message"], answer

    # Allowed to read that one client, nothing else.
    reader_key, reader_secret = user_with_key(iam, name + "-reader", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "keyward:GetOidcClient", "Resource": arn}]})
    status, got = signed(keyward, "GET", f"/keyward/oidc/clients/{client_id}", key=reader_key, secret=reader_secret)
    assert status == 200, got
    assert got["client_id"] == client_id
    status, answer = signed(keyward, "DELETE", f"/keyward/oidc/clients/{client_id}",
                            key=reader_key, secret=reader_secret)
    assert status == 403 and answer["error"]["code"] == "AccessDenied", answer
    assert "keyward:DeleteOidcClient" in answer["error"]["message"]
    status, answer = signed(keyward, "GET", "/keyward/oidc/clients", key=reader_key, secret=reader_secret)
    assert status == 403 and answer["error"]["code"] == "AccessDenied", answer
    status, _ = signed(keyward, "GET", f"/keyward/oidc/clients/{client_id}")
    assert status == 200, "the denied delete deleted nothing"

    # A signature for another service is not one for keyward.
    credentials = botocore.credentials.Credentials(keyward.admin_key, keyward.admin_secret)
    request = botocore.awsrequest.AWSRequest(method="GET", url=keyward.url + "/keyward/oidc/clients")
    botocore.auth.SigV4Auth(credentials, "iam", "us-east-1").add_auth(request)
    prepared = request.prepare()
    r = requests.get(prepared.url, headers=dict(prepared.headers), timeout=TIMEOUT)
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "SignatureDoesNotMatch"


def test_federated_and_non_mfa_sessions_do_not_manage_oidc_clients(keyward, iam, name):
    """As they call no IAM operation: OIDC clients are identity administration too. A session
    from GetSessionToken with MFA may, as it may call IAM."""
    from test_sts import enable_mfa
    everything = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["keyward:*", "sts:GetFederationToken"], "Resource": "*"}]}
    key, secret = user_with_key(iam, name, everything)
    status, before = signed(keyward, "GET", "/keyward/oidc/clients", key=key, secret=secret)
    assert status == 200, before
    sts = keyward.client("sts", key=key, secret=secret)
    federated = sts.get_federation_token(Name="guest", DurationSeconds=900,
                                         Policy=json.dumps(everything))["Credentials"]
    plain = sts.get_session_token(DurationSeconds=900)["Credentials"]
    for credentials, why in [(federated, "federated user sessions cannot call IAM or Keyward"),
                             (plain, "call IAM and Keyward operations only with MFA")]:
        session = dict(key=credentials["AccessKeyId"], secret=credentials["SecretAccessKey"],
                       token=credentials["SessionToken"])
        for method, path, body in [("POST", "/keyward/oidc/clients", REGISTRATION),
                                   ("GET", "/keyward/oidc/clients", None)]:
            status, answer = signed(keyward, method, path, body, **session)
            assert status == 403, (method, path, answer)
            assert answer["error"]["code"] == "AccessDenied", answer
            assert why in answer["error"]["message"], answer
    assert signed(keyward, "GET", "/keyward/oidc/clients")[1] == before, "nothing was created"

    serial, totp = enable_mfa(iam, name)
    with_mfa = sts.get_session_token(SerialNumber=serial, TokenCode=totp.now())["Credentials"]
    status, answer = signed(keyward, "GET", "/keyward/oidc/clients", key=with_mfa["AccessKeyId"],
                            secret=with_mfa["SecretAccessKey"], token=with_mfa["SessionToken"])
    assert status == 200, answer


def test_power_users_do_not_manage_oidc_clients(keyward, iam, name):
    """PowerUserAccess leaves OIDC clients out, as it leaves IAM out: a client without consent
    and with offline access would act for every user who signs in to it."""
    key, secret = user_with_key(iam, name)
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")
    status, before = signed(keyward, "GET", "/keyward/oidc/clients")
    assert status == 200, before
    status, answer = signed(keyward, "POST", "/keyward/oidc/clients",
                            dict(REGISTRATION, scope="openid offline_access"), key=key, secret=secret)
    assert status == 403, answer
    assert answer["error"]["code"] == "AccessDenied", answer
    assert f"user/{name} is not authorized to perform: keyward:CreateOidcClient" in answer["error"]["message"]
    status, answer = signed(keyward, "GET", "/keyward/oidc/clients", key=key, secret=secret)
    assert status == 403 and answer["error"]["code"] == "AccessDenied", answer
    status, after = signed(keyward, "GET", "/keyward/oidc/clients")
    assert after == before, "the refused create created nothing"


def test_user_email_api_signed_by_botocore(keyward, iam, name):
    """Users' email addresses (a Keyward extension, the source of the `email` claims) with
    botocore's signature: set, read back with a query string, refused for a second user in
    another case, and refused to a user who may only tag himself."""
    key, secret = user_with_key(iam, name, {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:TagUser", "Resource": "*"}]})
    address = f"{name}@Example.com"
    status, answer = signed(keyward, "POST", "/keyward/users/email",
                            {"user_name": name, "email": address, "email_verified": True})
    assert status == 200, answer
    status, got = signed(keyward, "GET", f"/keyward/users/email?user_name={name}")
    assert status == 200, got
    assert got == {"user_name": name, "email": address, "email_verified": True}
    iam.create_user(UserName=name + "-2")
    status, answer = signed(keyward, "POST", "/keyward/users/email",
                            {"user_name": name + "-2", "email": address.upper()})
    assert status == 409 and answer["error"]["code"] == "EntityAlreadyExists", answer
    status, answer = signed(keyward, "POST", "/keyward/users/email",
                            {"user_name": name, "email": "ceo@example.com", "email_verified": True},
                            key=key, secret=secret)
    assert status == 403, answer
    assert f"user/{name} is not authorized to perform: keyward:SetUserEmail" in answer["error"]["message"]
    status, got = signed(keyward, "GET", f"/keyward/users/email?user_name={name}")
    assert got["email"] == address, "the refused change changed nothing"


def test_the_sigv4_client_api_takes_public_keys_only(keyward):
    """A private_key_jwt client registers public RSA, EC or OKP keys: a symmetric key, or the
    private half of a key pair, is a ValidationError and no client is made."""
    key, _ = keypair("EC")
    private = key.as_dict(private=True)
    assert "d" in private
    oct_key = {"kty": "oct", "alg": "HS256", "kid": "s", "k": "c2VjcmV0LXNoYXJlZC13aXRoLWtleXdhcmQ"}
    status, listed = signed(keyward, "GET", "/keyward/oidc/clients")
    before = len(listed["clients"])
    for jwk in [oct_key, private]:
        registration = dict(REGISTRATION, token_endpoint_auth_method="private_key_jwt",
                            jwks={"keys": [jwk]})
        status, answer = signed(keyward, "POST", "/keyward/oidc/clients", registration)
        assert status == 400, answer
        assert answer["error"]["code"] == "ValidationError", answer
        assert "jwks" in answer["error"]["message"], answer
    status, listed = signed(keyward, "GET", "/keyward/oidc/clients")
    assert len(listed["clients"]) == before
    registration = dict(REGISTRATION, token_endpoint_auth_method="private_key_jwt",
                        jwks={"keys": [key.as_dict(private=False)]})
    status, created = signed(keyward, "POST", "/keyward/oidc/clients", registration)
    assert status == 201, created
    assert "d" not in created["jwks"]["keys"][0]
