"""The authorization endpoint for resource servers, driven by the runnable example in
docs/examples/resource_server.py: callers sign with botocore for their own service name, the
example server asks Keyward, and Keyward's decision matches SimulatePrincipalPolicy's."""
import json
import os
import socket
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../docs/examples"))
import resource_server  # noqa: E402  (the documented example, run as is)


def user(iam, name, policy):
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return botocore.credentials.Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def allow(action, resource, effect="Allow"):
    return {"Effect": effect, "Action": action, "Resource": resource}


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def signed_get(credentials, url, service="photos"):
    request = botocore.awsrequest.AWSRequest(method="GET", url=url)
    botocore.auth.SigV4Auth(credentials, service, "us-east-1").add_auth(request)
    return request.prepare()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def parties(iam, keyward, name):
    service = user(iam, name + "-svc", policy(allow("keyward:Authorize", "*")))
    alice = user(iam, name + "-alice", policy(
        allow("photos:ListPhotos", "arn:aws:photos:::album/1"),
        allow("photos:*", "arn:aws:photos:::album/secret", effect="Deny")))
    return service, alice


def test_the_example_server_serves_what_keyward_allows(keyward, parties):
    service, alice = parties
    port = free_port()
    threading.Thread(target=resource_server.serve, args=(keyward.url, service, port), daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            threading.Event().wait(0.05)

    def get(path, credentials=alice):
        prepared = signed_get(credentials, base + path)
        try:
            with urllib.request.urlopen(urllib.request.Request(prepared.url, headers=dict(prepared.headers))) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)

    status, body = get("/albums/1/photos")
    assert (status, body["album"]) == (200, "1")
    status, body = get("/albums/2/photos")
    assert status == 403 and "no identity-based policy allows the photos:ListPhotos action" in body["error"]
    status, body = get("/albums/secret/photos")
    assert status == 403 and "explicit deny" in body["error"]
    stranger = botocore.credentials.Credentials("AKIAAAAAAAAAAAAAAAAA", "x" * 40)
    status, body = get("/albums/1/photos", stranger)
    assert status == 403 and body["error"]["code"] == "InvalidClientTokenId"


def ask(keyward, service, credentials, action, resource, context=(), signed_for="photos", **kwargs):
    prepared = signed_get(credentials, "http://photos.internal/albums/1/photos?size=small", signed_for)
    parsed = urllib.parse.urlsplit(prepared.url)
    # What the resource server received: the client's headers plus the Host its HTTP library
    # sent (botocore signs it but leaves adding it to the transport).
    received = [("Host", parsed.netloc)] + list(prepared.headers.items())
    return resource_server.ask_keyward(keyward.url, service, "GET", parsed.path, parsed.query,
                                       received, b"", action, resource, context=context, **kwargs)


@pytest.mark.parametrize("resource,ip", [
    ("arn:aws:photos:::album/1", "203.0.113.7"),
    ("arn:aws:photos:::album/2", "203.0.113.7"),
    ("arn:aws:photos:::album/secret", "198.51.100.1"),
])
def test_decisions_match_the_simulator(iam, keyward, name, parties, resource, ip):
    service, alice = parties
    answer = ask(keyward, service, alice, "photos:ListPhotos", resource, [("aws:SourceIp", "ip", [ip])])
    simulated = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{keyward.account}:user/{name}-alice",
        ActionNames=["photos:ListPhotos"], ResourceArns=[resource],
        ContextEntries=[{"ContextKeyName": "aws:SourceIp", "ContextKeyType": "ip", "ContextKeyValues": [ip]}],
    )["EvaluationResults"][0]["EvalDecision"]
    assert answer["effect"] == simulated
    assert answer["principal"]["arn"] == f"arn:aws:iam::{keyward.account}:user/{name}-alice"


def test_role_sessions_resource_policies_and_denial_messages(iam, keyward, name, parties):
    service, alice = parties
    account = keyward.account
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"})))
    creds = keyward.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{name}",
                                              RoleSessionName="viewer")["Credentials"]
    session = botocore.credentials.Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    resource = "arn:aws:photos:::album/7"
    denied = ask(keyward, service, session, "photos:ListPhotos", resource)
    assert denied["decision"] == "Deny" and denied["principal"]["arn"].endswith(f"assumed-role/{name}/viewer")
    # The album's own policy grants the role (same account: a resource policy naming the role
    # is enough).
    album_policy = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:role/{name}"},
                           "Action": "photos:ListPhotos", "Resource": resource})
    allowed = ask(keyward, service, session, "photos:ListPhotos", resource, resource_policy=album_policy)
    assert allowed["decision"] == "Allow", allowed

    decoded = keyward.client("sts").decode_authorization_message(EncodedMessage=denied["encodedMessage"])
    message = json.loads(decoded["DecodedMessage"])
    assert message["allowed"] is False and message["context"]["action"] == "photos:ListPhotos"
    assert message["context"]["resource"] == resource
    alice_sts = keyward.client("sts", key=alice.access_key, secret=alice.secret_key)
    with pytest.raises(ClientError) as e:
        alice_sts.decode_authorization_message(EncodedMessage=denied["encodedMessage"])
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        keyward.client("sts").decode_authorization_message(EncodedMessage="v1.AAAA" + denied["encodedMessage"][7:12])
    assert e.value.response["Error"]["Code"] == "InvalidAuthorizationMessageException"


def test_services_need_permission_and_cannot_speak_for_the_principal(keyward, parties):
    service, alice = parties
    with pytest.raises(RuntimeError) as e:
        ask(keyward, alice, alice, "photos:ListPhotos", "arn:aws:photos:::album/1")
    assert "403" in str(e.value) and "keyward:Authorize" in str(e.value)
    with pytest.raises(RuntimeError) as e:
        ask(keyward, service, alice, "photos:ListPhotos", "arn:aws:photos:::album/1",
            [("aws:username", "string", ["admin"])])
    assert "400" in str(e.value) and "InvalidParameterValue" in str(e.value)
    forged = botocore.credentials.Credentials(alice.access_key, "y" * 40)
    answer = ask(keyward, service, forged, "photos:ListPhotos", "arn:aws:photos:::album/1")
    assert answer["decision"] == "Deny" and answer["error"]["code"] == "SignatureDoesNotMatch"


def test_federated_and_non_mfa_services_may_not_ask(iam, keyward, name, parties):
    """The answer shows another principal's decision and the policies behind it, as IAM's
    simulator does: a federated user or a GetSessionToken session without MFA may not ask."""
    _, alice = parties
    may_ask = policy(allow(["keyward:Authorize", "sts:GetFederationToken"], "*"))
    service = user(iam, name + "-fedsvc", may_ask)
    assert ask(keyward, service, alice, "photos:ListPhotos", "arn:aws:photos:::album/1")["decision"] == "Allow"
    sts = keyward.client("sts", key=service.access_key, secret=service.secret_key)
    federated = sts.get_federation_token(Name="svc", DurationSeconds=900, Policy=json.dumps(may_ask))
    plain = sts.get_session_token(DurationSeconds=900)
    for got, why in [(federated, "federated user sessions"), (plain, "only with MFA")]:
        c = got["Credentials"]
        session = botocore.credentials.Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        with pytest.raises(RuntimeError) as e:
            ask(keyward, session, alice, "photos:ListPhotos", "arn:aws:photos:::album/1")
        assert "403" in str(e.value) and why in str(e.value), str(e.value)


def test_federated_users_get_the_intersection_of_policies(iam, keyward, name, parties):
    service, _ = parties
    fed_user = user(iam, name + "-fed", policy(
        allow("sts:GetFederationToken", "*"),
        allow("photos:ListPhotos", "arn:aws:photos:::album/*")))
    sts = keyward.client("sts", key=fed_user.access_key, secret=fed_user.secret_key)

    def session(**kwargs):
        c = sts.get_federation_token(Name="guest", DurationSeconds=900, **kwargs)["Credentials"]
        return botocore.credentials.Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])

    wide = session(Policy=json.dumps(policy(allow("photos:*", "*"))))
    assert ask(keyward, service, wide, "photos:ListPhotos", "arn:aws:photos:::album/1")["decision"] == "Allow"
    denied = ask(keyward, service, wide, "photos:DeletePhoto", "arn:aws:photos:::album/1")
    assert denied["decision"] == "Deny", "the session policy does not add to the user's"
    narrow = session(Policy=json.dumps(policy(allow("photos:ListPhotos", "arn:aws:photos:::album/2"))))
    assert ask(keyward, service, narrow, "photos:ListPhotos", "arn:aws:photos:::album/1")["decision"] == "Deny"
    assert ask(keyward, service, narrow, "photos:ListPhotos", "arn:aws:photos:::album/2")["decision"] == "Allow"
    bare = session()
    answer = ask(keyward, service, bare, "photos:ListPhotos", "arn:aws:photos:::album/1")
    assert answer["decision"] == "Deny", "a federated user given no policy may do nothing"
    assert answer["principal"]["arn"] == f"arn:aws:sts::{keyward.account}:federated-user/guest"


def test_a_request_signed_for_one_service_counts_for_no_other(iam, keyward, name, parties):
    """A request the photos service received cannot be replayed through the billing service:
    the forwarded signature counts only for actions of the service it was signed for."""
    service, _ = parties
    carol = user(iam, name + "-carol", policy(allow(["photos:ListPhotos", "billing:PayInvoice"], "*")))
    answer = ask(keyward, service, carol, "billing:PayInvoice", "arn:aws:billing:::invoice/1")
    assert answer["decision"] == "Deny" and answer["authenticated"] is False, answer
    assert answer["error"]["code"] == "SignatureDoesNotMatch"
    assert "'billing'" in answer["error"]["message"]
    signed_for_billing = ask(keyward, service, carol, "billing:PayInvoice", "arn:aws:billing:::invoice/1",
                             signed_for="billing")
    assert signed_for_billing["decision"] == "Allow", signed_for_billing
    assert ask(keyward, service, carol, "photos:ListPhotos", "arn:aws:photos:::album/1")["decision"] == "Allow"


def test_resources_belong_to_the_asking_services_account_unless_stated(keyward, name, parties):
    """A caller of another account is a stranger to the service's resources: its own policies
    are not enough without the resource's policy, as across accounts on AWS."""
    service, _ = parties
    account, key, secret = keyward.create_account()
    bob = user(keyward.client(key=key, secret=secret), name + "-bob", policy(allow("photos:ListPhotos", "*")))
    album = "arn:aws:photos:::album/1"
    answer = ask(keyward, service, bob, "photos:ListPhotos", album)
    assert answer["authenticated"] is True and answer["principal"]["account"] == account
    assert answer["decision"] == "Deny", answer
    shared = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                     "Action": "photos:ListPhotos", "Resource": album})
    assert ask(keyward, service, bob, "photos:ListPhotos", album, resource_policy=shared)["decision"] == "Allow"
    stated = ask(keyward, service, bob, "photos:ListPhotos", album, resource_account=account)
    assert stated["decision"] == "Allow", stated


def test_oversized_context_is_refused(keyward, parties):
    service, alice = parties
    context = [(f"photos:key{i}", "string", ["v"]) for i in range(101)]
    with pytest.raises(RuntimeError) as e:
        ask(keyward, service, alice, "photos:ListPhotos", "arn:aws:photos:::album/1", context)
    assert "400" in str(e.value) and "InvalidInput" in str(e.value)


def test_only_the_denied_principals_account_decodes_its_message(keyward, parties):
    service, alice = parties
    denied = ask(keyward, service, alice, "photos:ListPhotos", "arn:aws:photos:::album/2")
    assert denied["decision"] == "Deny" and denied["encodedMessage"]
    _, key, secret = keyward.create_account()
    stranger = keyward.client("sts", key=key, secret=secret)  # that account's administrator
    with pytest.raises(ClientError) as e:
        stranger.decode_authorization_message(EncodedMessage=denied["encodedMessage"])
    assert e.value.response["Error"]["Code"] == "InvalidAuthorizationMessageException"
    decoded = keyward.client("sts").decode_authorization_message(EncodedMessage=denied["encodedMessage"])
    assert json.loads(decoded["DecodedMessage"])["context"]["resource"] == "arn:aws:photos:::album/2"
