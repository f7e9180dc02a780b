"""STS AssumeRoleWithWebIdentity with tokens of an OpenID provider nobody here wrote: node's
oidc-provider over HTTPS on loopback (idp_fixture.py) issues client_credentials JWT access tokens
with CI-shaped subjects; an administrator registers it with CreateOpenIDConnectProvider (its
certificate's SHA-1 thumbprint, the audience) and a role trusting it, and unmodified boto3
(unsigned, as for any web identity call) and the AWS CLI (a `web_identity_token_file` profile)
trade the tokens for role credentials. Forged tokens (expired, tampered, `alg: none`, HS256 keyed
with the public key, unknown `kid`) are made with the provider's own private keys, which the test
generated. Keys rotate by restarting the provider on its port with other keys. Keyward's own
OpenID provider serves as the issuer for a second account last."""
import base64
import hashlib
import hmac
import json
import os
import ssl
import subprocess
import tempfile
import time

import boto3
import botocore
import botocore.config
import pytest
import requests
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from joserfc import jwt

from conftest import BIN, Keyward, free_port
from idp_fixture import Idp, make_keys, node_ready

AUDIENCE = "sts.keyward.test"
SESSION = "ci-run"
MAIN = "repo:org/app:ref:refs/heads/main"
RELEASE = "repo:org/app:ref:refs/heads/release"
TAGGED = "repo:org/app:ref:refs/heads/tagged"
OTHER_REPO = "repo:org/other:ref:refs/heads/main"
SOURCED = "repo:org/app:ref:refs/heads/sourced"
TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"
CLIENTS = [
    {"client_id": MAIN, "client_secret": "main-secret-0123456789abcdef", "alg": "RS256"},
    {"client_id": RELEASE, "client_secret": "release-secret-0123456789abcdef", "alg": "ES256",
     "claims": {"amr": ["mfa"]}},
    {"client_id": TAGGED, "client_secret": "tagged-secret-0123456789abcdef", "alg": "RS256",
     "claims": {TAGS_CLAIM: {"principal_tags": {"team": ["payments"], "env": ["prod"]},
                             "transitive_tag_keys": ["team"]}}},
    {"client_id": OTHER_REPO, "client_secret": "other-secret-0123456789abcdef", "alg": "RS256"},
    {"client_id": SOURCED, "client_secret": "sourced-secret-0123456789abcdef", "alg": "RS256",
     "claims": {SOURCE_IDENTITY_CLAIM: "alice"}},
]
# The JWKS cache is kept short so the key rotation test sees a withdrawn key go within seconds;
# Keyward's own issuer is plain http on loopback, which only this test setting admits.
SETTINGS = {"KEYWARD_OIDC_JWKS_MAX_CACHE_SECONDS": "2", "KEYWARD_ALLOW_HTTP_LOOPBACK_ISSUERS": "true"}
# Keyward refetches a provider's keys for an unknown kid, but not more often than every few
# seconds; these bound the polls that wait for it.
ROTATION_DEADLINE = 30


@pytest.fixture(scope="module", params=["embedded", "postgres"])
def keyward(request):
    """This module's own server, with the settings above (conftest's has none)."""
    server = Keyward(request.param, settings=SETTINGS)
    yield server
    server.stop(module=request.module.__name__)


@pytest.fixture(scope="module")
def idp():
    reason = node_ready()
    if reason:
        pytest.skip(reason)
    server = Idp(free_port(), CLIENTS, [make_keys("first")])
    served = ssl.get_server_certificate(("127.0.0.1", server.port))
    assert hashlib.sha1(ssl.PEM_cert_to_DER_cert(served)).hexdigest() == server.thumbprint
    yield server
    server.stop()


@pytest.fixture
def spare_idp(idp):
    """Starts more providers (each on its own port, with the same clients) for one test."""
    started = []

    def start(keys=None):
        server = Idp(free_port(), CLIENTS, keys or [make_keys("spare")])
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()


def host(idp):
    return idp.issuer.removeprefix("https://")


def register(iam, idp, thumbprint=None):
    """CreateOpenIDConnectProvider for `idp`, as an administrator would; returns its ARN."""
    return iam.create_open_id_connect_provider(
        Url=idp.issuer, ClientIDList=[AUDIENCE],
        ThumbprintList=[thumbprint or idp.thumbprint])["OpenIDConnectProviderArn"]


@pytest.fixture(scope="module")
def provider(keyward, idp):
    """The module's provider registered in the server's default account: its ARN."""
    return register(keyward.client(), idp)


def trust(provider_arn, idp_host, sub, actions=("sts:AssumeRoleWithWebIdentity",), like=True):
    """Trusts the provider's tokens for our audience whose subject matches `sub` (a pattern when
    `like`, else exactly)."""
    condition = {"StringEquals": {f"{idp_host}:aud": AUDIENCE}}
    condition.setdefault("StringLike" if like else "StringEquals", {})[f"{idp_host}:sub"] = sub
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": list(actions),
        "Condition": condition}]})


def make_role(iam, name, trust_policy, statements=None):
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy)["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))
    return arn


def ci_role(iam, name, provider_arn, idp, sub="repo:org/app:ref:refs/heads/*", **kwargs):
    """A role for the main repository's branches that may read roles and nothing else."""
    return make_role(iam, name, trust(provider_arn, host(idp), sub, **kwargs),
                     [{"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"}])


def unsigned_sts(keyward):
    """STS as a CI job calls it: no credentials at all, the token is the proof."""
    return boto3.client("sts", endpoint_url=keyward.url, region_name="us-east-1",
                        config=botocore.config.Config(signature_version=botocore.UNSIGNED,
                                                      retries={"max_attempts": 1}))


def assume(keyward, role_arn, token, **kwargs):
    return unsigned_sts(keyward).assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName=SESSION, WebIdentityToken=token, **kwargs)


def refused(keyward, role_arn, token):
    """The error code, HTTP status and message of a refused AssumeRoleWithWebIdentity."""
    with pytest.raises(ClientError) as e:
        assume(keyward, role_arn, token)
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def accepted(keyward, role_arn, token):
    """True if the token assumes the role, else the error code."""
    try:
        assume(keyward, role_arn, token)
        return True
    except ClientError as e:
        return e.response["Error"]["Code"]


def session_clients(keyward, credentials):
    c = credentials
    args = dict(key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    return keyward.client("iam", **args), keyward.client("sts", **args)


def eventually(attempt, what, deadline=ROTATION_DEADLINE):
    """Calls `attempt` until it returns True, failing with its last answer after `deadline` s."""
    end = time.monotonic() + deadline
    while True:
        outcome = attempt()
        if outcome is True:
            return
        if time.monotonic() > end:
            pytest.fail(f"{what}: still {outcome!r} after {deadline}s")
        time.sleep(0.5)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unverified(token):
    """The header and claims of a JWT, read without checking it (to forge from a real one)."""
    header, payload, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)
    return (json.loads(base64.urlsafe_b64decode(pad(header))),
            json.loads(base64.urlsafe_b64decode(pad(payload))))


def signed(claims, key, **header):
    """A JWT signed with a joserfc key, as the provider signs (`typ: at+jwt`, the key's kid)."""
    return jwt.encode({"alg": key.alg, "typ": "at+jwt", "kid": key.kid, **header}, claims, key)


def test_provider_registration_is_read_back(keyward, idp, provider):
    assert provider == f"arn:aws:iam::{keyward.account}:oidc-provider/{host(idp)}"
    iam = keyward.client()
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider)
    assert got["Url"] == host(idp)
    assert got["ClientIDList"] == [AUDIENCE] and got["ThumbprintList"] == [idp.thumbprint]
    listed = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert {"Arn": provider} in listed
    with pytest.raises(ClientError) as e:
        register(iam, idp)
    assert e.value.response["Error"]["Code"] == "EntityAlreadyExists"


@pytest.mark.parametrize("client", [MAIN, RELEASE], ids=["RS256", "ES256"])
def test_a_main_branch_token_assumes_the_role(keyward, idp, provider, name, client):
    role_arn = ci_role(keyward.client(), name, provider, idp)
    token = idp.token(client, AUDIENCE)
    assert unverified(token)[0]["alg"] == {MAIN: "RS256", RELEASE: "ES256"}[client]

    got = assume(keyward, role_arn, token)
    assumed = f"arn:aws:sts::{keyward.account}:assumed-role/{name}/{SESSION}"
    creds = got["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and creds["SecretAccessKey"] and creds["SessionToken"]
    assert got["SubjectFromWebIdentityToken"] == client
    assert got["AssumedRoleUser"]["Arn"] == assumed
    # AWS's reference says `iss`, but its answers for OpenID Connect providers name the
    # provider's ARN (as the CLI prints for EKS, GitHub Actions or SPIRE tokens).
    assert got["Provider"] == provider
    assert got["Audience"] == AUDIENCE

    role_iam, role_sts = session_clients(keyward, creds)
    assert role_sts.get_caller_identity()["Arn"] == assumed
    assert role_iam.get_role(RoleName=name)["Role"]["Arn"] == role_arn, "the role's policy allows it"
    with pytest.raises(ClientError) as e:
        role_iam.list_users()
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_a_subject_the_trust_policy_does_not_name_is_denied(keyward, idp, provider, name):
    iam = keyward.client()
    any_branch = ci_role(iam, name, provider, idp)
    assert refused(keyward, any_branch, idp.token(OTHER_REPO, AUDIENCE))[:2] == ("AccessDenied", 403)
    main_only = ci_role(iam, name + "m", provider, idp, sub=MAIN, like=False)
    assert refused(keyward, main_only, idp.token(RELEASE, AUDIENCE))[:2] == ("AccessDenied", 403)
    assert assume(keyward, main_only, idp.token(MAIN, AUDIENCE))["SubjectFromWebIdentityToken"] == MAIN


def test_the_trust_policy_sees_the_tokens_amr(keyward, idp, provider, name):
    policy = json.loads(trust(provider, host(idp), "repo:org/app:ref:refs/heads/*"))
    policy["Statement"][0]["Condition"]["ForAnyValue:StringEquals"] = {f"{host(idp)}:amr": "mfa"}
    role_arn = make_role(keyward.client(), name, json.dumps(policy))
    assert assume(keyward, role_arn, idp.token(RELEASE, AUDIENCE))["SubjectFromWebIdentityToken"] == RELEASE
    assert refused(keyward, role_arn, idp.token(MAIN, AUDIENCE))[:2] == ("AccessDenied", 403), "no amr claim"


def test_the_source_identity_comes_from_the_token(keyward, idp, provider, name):
    iam = keyward.client()
    token = idp.token(SOURCED, AUDIENCE)
    allowed = make_role(iam, name, trust(provider, host(idp), "repo:org/app:ref:refs/heads/*",
                                         actions=("sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity")))
    assert assume(keyward, allowed, token)["SourceIdentity"] == "alice"
    # Setting a source identity needs sts:SetSourceIdentity in the trust policy.
    without = make_role(iam, name + "n", trust(provider, host(idp), "repo:org/app:ref:refs/heads/*"))
    assert refused(keyward, without, token)[:2] == ("AccessDenied", 403)


def test_a_token_for_another_audience_is_invalid(keyward, idp, provider, name):
    role_arn = ci_role(keyward.client(), name, provider, idp)
    code, status, message = refused(keyward, role_arn, idp.token(MAIN, "other.keyward.test"))
    assert (code, status) == ("InvalidIdentityToken", 400)
    assert "Incorrect token audience" in message


def test_a_token_of_an_unregistered_issuer_is_invalid(keyward, idp, provider, spare_idp, name):
    role_arn = ci_role(keyward.client(), name, provider, idp)
    stranger = spare_idp()
    assert refused(keyward, role_arn, stranger.token(MAIN, AUDIENCE))[:2] == ("InvalidIdentityToken", 400)


def test_a_provider_whose_certificate_does_not_match_the_thumbprint_is_not_trusted(keyward, spare_idp, name):
    iam = keyward.client()
    impostor = spare_idp()
    provider_arn = register(iam, impostor, thumbprint=hashlib.sha1(b"another certificate").hexdigest())
    role_arn = ci_role(iam, name, provider_arn, impostor)
    token = impostor.token(MAIN, AUDIENCE)
    # AWS: InvalidIdentityToken, "OpenIDConnect provider's HTTPS certificate doesn't match
    # configured thumbprint" (the token is refused; the provider answered).
    answer = refused(keyward, role_arn, token)
    assert answer[:2] == ("InvalidIdentityToken", 400), answer
    assert "doesn't match configured thumbprint" in answer[2]

    # Once the administrator registers the certificate the provider really serves, it is trusted.
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=provider_arn,
                                                  ThumbprintList=[impostor.thumbprint])
    eventually(lambda: accepted(keyward, role_arn, token), "a token once the thumbprint is right")


def test_an_expired_token_is_refused(keyward, idp, provider, name):
    role_arn = ci_role(keyward.client(), name, provider, idp)
    header, claims = unverified(idp.token(MAIN, AUDIENCE))
    now = int(time.time())
    expired = signed({**claims, "iat": now - 7200, "exp": now - 3600}, idp.keys[0]["RS256"])
    assert refused(keyward, role_arn, expired)[:2] == ("ExpiredTokenException", 400)
    fresh = signed({**claims, "iat": now, "exp": now + 600}, idp.keys[0]["RS256"])
    assert assume(keyward, role_arn, fresh)["SubjectFromWebIdentityToken"] == MAIN, \
        "the same forgery, unexpired, is accepted: it was refused for its expiry alone"


def test_forged_tokens_are_invalid(keyward, idp, provider, name):
    role_arn = ci_role(keyward.client(), name, provider, idp)
    real = idp.token(OTHER_REPO, AUDIENCE)
    header, claims = unverified(real)
    as_main = {**claims, "sub": MAIN, "client_id": MAIN}
    signing_input = lambda h, c: f"{b64(json.dumps(h).encode())}.{b64(json.dumps(c).encode())}"

    forgeries = {}
    # The other repository's token with its subject changed to the main branch's.
    forgeries["tampered payload"] = signing_input(header, as_main) + "." + real.split(".")[2]
    forgeries["alg none"] = signing_input({**header, "alg": "none"}, as_main) + "."
    # HS256 keyed with the bytes of the provider's public key, in the forms a verifier might use.
    public = idp.keys[0]["RS256"].get_op_key("verify")
    for form, secret in [
            ("PEM", public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)),
            ("DER", public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)),
            ("JWK", json.dumps(idp.keys[0]["RS256"].as_dict(private=False)).encode())]:
        unsigned = signing_input({**header, "alg": "HS256"}, as_main)
        forgeries[f"HS256 with the public key ({form})"] = unsigned + "." + b64(
            hmac.new(secret, unsigned.encode(), hashlib.sha256).digest())
    stranger = make_keys("never-published")["RS256"]
    forgeries["a kid never published"] = signed(as_main, stranger)
    forgeries["the published kid, another key"] = signed(as_main, stranger, kid=header["kid"])

    for what, token in forgeries.items():
        assert refused(keyward, role_arn, token)[:2] == ("InvalidIdentityToken", 400), what
    assert assume(keyward, role_arn, signed(as_main, idp.keys[0]["RS256"]))["SubjectFromWebIdentityToken"] == MAIN, \
        "the same claims signed with the provider's key are accepted"


def test_rotated_keys_are_fetched_and_withdrawn_ones_stop_working(keyward, spare_idp, name):
    iam = keyward.client()
    old, new = make_keys("old"), make_keys("new")
    rotating = spare_idp([old])
    role_arn = ci_role(iam, name, register(iam, rotating), rotating)
    old_token = rotating.token(MAIN, AUDIENCE)
    assert assume(keyward, role_arn, old_token)["SubjectFromWebIdentityToken"] == MAIN
    assert unverified(old_token)[0]["kid"] == old["RS256"].kid

    # The new key is published beside the old one and signs from now on: Keyward learns it on
    # the first token with its kid (once its pause between fetches allows).
    rotating.restart([new, old])
    new_token = rotating.token(MAIN, AUDIENCE)
    assert unverified(new_token)[0]["kid"] == new["RS256"].kid

    eventually(lambda: accepted(keyward, role_arn, new_token), "a token of the newly published key")
    assert accepted(keyward, role_arn, old_token) is True, "the old key is still published"

    # The old key is withdrawn: its tokens stop working once the keys Keyward holds expire.
    rotating.restart([new])
    eventually(lambda: accepted(keyward, role_arn, old_token) == "InvalidIdentityToken",
               "a token of the withdrawn key")
    assert accepted(keyward, role_arn, new_token) is True


def test_session_tags_come_from_the_token(keyward, idp, provider, name):
    iam = keyward.client()
    tag_team = lambda action, team: {"Effect": "Allow", "Action": action, "Resource": "*",
                                     "Condition": {"StringEquals": {"aws:PrincipalTag/team": team}}}
    statements = [tag_team("iam:ListUsers", "payments"), tag_team("iam:ListGroups", "search"),
                  {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
                   "Condition": {"StringEquals": {"aws:PrincipalTag/env": "prod"}}}]
    chained_arn = f"arn:aws:iam::{keyward.account}:role/{name}c"
    role_arn = make_role(iam, name, trust(provider, host(idp), "repo:org/app:ref:refs/heads/*",
                                          actions=("sts:AssumeRoleWithWebIdentity", "sts:TagSession")),
                         statements + [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": chained_arn}])
    token = idp.token(TAGGED, AUDIENCE)
    role_iam, role_sts = session_clients(keyward, assume(keyward, role_arn, token)["Credentials"])
    assert any(u["UserName"] == "admin" for u in role_iam.list_users()["Users"]), "team = payments"
    assert role_iam.list_roles()["Roles"], "env = prod"
    with pytest.raises(ClientError) as e:
        role_iam.list_groups()
    assert e.value.response["Error"]["Code"] == "AccessDenied", "team is not search"

    # The claim names `team` transitive: a role chained from this session keeps it, not `env`.
    make_role(iam, name + "c", json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}),
        statements)
    chained_iam, _ = session_clients(
        keyward, role_sts.assume_role(RoleArn=chained_arn, RoleSessionName="chained")["Credentials"])
    assert any(u["UserName"] == "admin" for u in chained_iam.list_users()["Users"]), "team = payments, transitive"
    with pytest.raises(ClientError) as e:
        chained_iam.list_roles()
    assert e.value.response["Error"]["Code"] == "AccessDenied", "env was not transitive"

    # A token carrying tags may set them only where the trust policy allows sts:TagSession.
    without = make_role(iam, name + "n", trust(provider, host(idp), "repo:org/app:ref:refs/heads/*"), statements)
    assert refused(keyward, without, token)[:2] == ("AccessDenied", 403)


def test_the_aws_cli_reads_a_web_identity_token_file(keyward, idp, provider, name):
    role_arn = ci_role(keyward.client(), name, provider, idp)
    with tempfile.TemporaryDirectory() as d:
        token_file, config = os.path.join(d, "token"), os.path.join(d, "config")
        with open(token_file, "w") as f:
            f.write(idp.token(MAIN, AUDIENCE))
        with open(config, "w") as f:
            f.write(f"[profile ci]\nrole_arn = {role_arn}\nweb_identity_token_file = {token_file}\n"
                    f"role_session_name = {SESSION}\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_CONFIG_FILE=config, AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_ENDPOINT_URL=keyward.url,
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
        out = subprocess.run(["aws", "--profile", "ci", "sts", "get-caller-identity", "--output", "json"],
                             env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Arn"] == f"arn:aws:sts::{keyward.account}:assumed-role/{name}/{SESSION}"


def keyward_access_token(keyward):
    """A client_credentials access token of Keyward's own OpenID provider, for account A's client."""
    out = subprocess.run(
        [BIN, "oidc", "client", "create", "--data-dir", keyward.dir, "--account", keyward.account, "--json",
         "--name", "deployer", "--grant-type", "client_credentials", "--scope", "deploy"],
        env=keyward.env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    client = json.loads(out.stdout)
    r = requests.post(keyward.url + "/oauth2/token", auth=(client["client_id"], client["client_secret"]),
                      data={"grant_type": "client_credentials", "scope": "deploy"}, timeout=30)
    assert r.status_code == 200, r.text
    return client["client_id"], r.json()["access_token"]


def test_a_second_account_trusts_keywards_own_issuer(keyward, name):
    client_id, token = keyward_access_token(keyward)
    claims = unverified(token)[1]
    assert claims["iss"] == keyward.url and claims["sub"] == client_id
    audience = claims["aud"] if isinstance(claims["aud"], str) else claims["aud"][0]

    account_b, key, secret = keyward.create_account()
    iam_b = keyward.client(key=key, secret=secret)
    issuer_host = keyward.url.removeprefix("http://")
    provider_arn = iam_b.create_open_id_connect_provider(
        Url=keyward.url, ClientIDList=[audience])["OpenIDConnectProviderArn"]
    assert provider_arn == f"arn:aws:iam::{account_b}:oidc-provider/{issuer_host}"
    role_arn = make_role(iam_b, name, json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{issuer_host}:sub": client_id, f"{issuer_host}:aud": audience}}}]}),
        [{"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"}])

    got = assume(keyward, role_arn, token)
    assert got["SubjectFromWebIdentityToken"] == client_id
    _, role_sts = session_clients(keyward, got["Credentials"])
    assert role_sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{account_b}:assumed-role/{name}/{SESSION}"

    # Plain http is admitted for loopback issuers only, and only under the test setting.
    with pytest.raises(ClientError) as e:
        iam_b.create_open_id_connect_provider(Url="http://issuer.example.com", ClientIDList=[audience])
    assert e.value.response["Error"]["Code"] == "ValidationError"


def test_plain_http_issuers_are_refused_without_the_test_setting():
    strict = Keyward("embedded")  # a server setting, not a store behaviour: one backend suffices
    try:
        with pytest.raises(ClientError) as e:
            strict.client().create_open_id_connect_provider(Url=strict.url, ClientIDList=[AUDIENCE])
        assert e.value.response["Error"]["Code"] == "ValidationError"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    finally:
        strict.stop()
