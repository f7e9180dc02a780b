"""STS through boto3 and the AWS CLI: AssumeRole against trust policies, temporary credentials
used for IAM calls, role chaining, session policies and tags."""
import datetime
import json
import os
import time

import pytest
from botocore.exceptions import ClientError


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def trust(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow_assume(principal, **extra):
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole", **extra}


def make_role(iam, name, trust_policy, managed=None, inline=None, **kwargs):
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy, **kwargs)["Role"]["Arn"]
    if managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=managed)
    if inline:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(inline))
    return arn


def user_with_key(iam, name, policy=None):
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def session_clients(keyward, credentials):
    c = credentials
    args = dict(key=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])
    return keyward.client("iam", **args), keyward.client("sts", **args)


def test_assumed_role_credentials_act_with_the_role_policies(iam, keyward, name):
    account = keyward.account
    role_arn = make_role(iam, name, trust(allow_assume(f"arn:aws:iam::{account}:root")),
                         managed="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    sts = keyward.client("sts")
    got = sts.assume_role(RoleArn=role_arn, RoleSessionName="build-42")
    creds = got["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40 and creds["SessionToken"]
    assert got["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}/build-42"
    role = iam.get_role(RoleName=name)["Role"]
    assert got["AssumedRoleUser"]["AssumedRoleId"] == f"{role['RoleId']}:build-42"
    assert role["RoleLastUsed"]["Region"] == "us-east-1" and role["RoleLastUsed"]["LastUsedDate"]
    role_id = role["RoleId"]
    lifetime = (creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 3500 < lifetime <= 3600, "one hour by default"

    role_iam, role_sts = session_clients(keyward, creds)
    me = role_sts.get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}/build-42"
    assert me["UserId"] == f"{role_id}:build-42" and me["Account"] == account
    assert any(u["UserName"] == "admin" for u in role_iam.list_users()["Users"]), "read-only allows listing"
    with pytest.raises(ClientError) as e:
        role_iam.create_user(UserName=name + "x")
    assert error_code(e) == "AccessDenied"
    assert f"assumed-role/{name}/build-42 is not authorized to perform: iam:CreateUser" in str(e.value)

    with pytest.raises(ClientError) as e:
        keyward.client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                       token=creds["SessionToken"][:-4] + "AAAA").get_caller_identity()
    assert error_code(e) == "InvalidClientTokenId", "a tampered token is refused"
    with pytest.raises(ClientError) as e:
        keyward.client("sts", key=creds["AccessKeyId"], secret="x" * 40,
                       token=creds["SessionToken"]).get_caller_identity()
    assert error_code(e) == "SignatureDoesNotMatch"


def test_trust_policies_decide_who_may_assume(iam, keyward, name):
    account = keyward.account
    named_key = user_with_key(iam, name + "-named")
    other_key = user_with_key(iam, name + "-other")
    role_arn = make_role(iam, name, trust(allow_assume(f"arn:aws:iam::{account}:user/{name}-named")))
    named = keyward.client("sts", key=named_key[0], secret=named_key[1])
    other = keyward.client("sts", key=other_key[0], secret=other_key[1])
    named.assume_role(RoleArn=role_arn, RoleSessionName="s1")
    with pytest.raises(ClientError) as e:
        other.assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert error_code(e) == "AccessDenied"
    assert str(e.value).endswith(
        f"User: arn:aws:iam::{account}:user/{name}-other is not authorized to perform: "
        f"sts:AssumeRole on resource: {role_arn}")
    with pytest.raises(ClientError) as e:
        named.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{name}-missing", RoleSessionName="s1")
    assert error_code(e) == "AccessDenied", "a missing role looks like a refusal"

    # Trusting the account delegates to the account's own policies.
    account_role = make_role(iam, name + "-acct", trust(allow_assume(account)))
    with pytest.raises(ClientError) as e:
        other.assume_role(RoleArn=account_role, RoleSessionName="s1")
    assert error_code(e) == "AccessDenied", "no identity policy allows sts:AssumeRole"
    iam.put_user_policy(UserName=name + "-other", PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Resource": account_role}]}))
    other.assume_role(RoleArn=account_role, RoleSessionName="s1")

    with pytest.raises(ClientError) as e:
        keyward.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert error_code(e) == "AccessDenied", "only the named user, not the administrator"


def test_conditions_on_external_id_and_session_name(iam, keyward, name):
    account = keyward.account
    role_arn = make_role(iam, name, trust(allow_assume(
        f"arn:aws:iam::{account}:root",
        Condition={"StringEquals": {"sts:ExternalId": "partner-7"},
                   "StringLike": {"sts:RoleSessionName": "ci-*"}})))
    sts = keyward.client("sts")
    sts.assume_role(RoleArn=role_arn, RoleSessionName="ci-1", ExternalId="partner-7")
    for kwargs in ({"RoleSessionName": "ci-1"}, {"RoleSessionName": "ci-1", "ExternalId": "partner-8"},
                   {"RoleSessionName": "dev-1", "ExternalId": "partner-7"}):
        with pytest.raises(ClientError) as e:
            sts.assume_role(RoleArn=role_arn, **kwargs)
        assert error_code(e) == "AccessDenied", kwargs


def test_validation_of_names_and_durations(iam, keyward, name):
    account = keyward.account
    role_arn = make_role(iam, name, trust(allow_assume(f"arn:aws:iam::{account}:root")), MaxSessionDuration=7200)
    sts = keyward.client("sts")
    unchecked = keyward.client("sts", validate=False)
    got = sts.assume_role(RoleArn=role_arn, RoleSessionName="long", DurationSeconds=7200)
    assert got["Credentials"]["SessionToken"]
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="long", DurationSeconds=7201)
    assert error_code(e) == "ValidationError"
    assert "MaxSessionDuration" in e.value.response["Error"]["Message"]
    for kwargs in ({"RoleSessionName": "x"}, {"RoleSessionName": "bad name"},
                   {"RoleSessionName": "ok", "DurationSeconds": 899}):
        with pytest.raises(ClientError) as e:
            unchecked.assume_role(RoleArn=role_arn, **kwargs)
        assert error_code(e) == "ValidationError", kwargs
    with pytest.raises(ClientError) as e:
        unchecked.assume_role(RoleArn="not-an-arn-at-all-really", RoleSessionName="ok")
    assert error_code(e) == "ValidationError"


def test_role_chaining_is_capped_at_one_hour(iam, keyward, name):
    account = keyward.account
    first = make_role(iam, name + "-a", trust(allow_assume(f"arn:aws:iam::{account}:root")),
                      inline={"Version": "2012-10-17", "Statement": [
                          {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    second = make_role(iam, name + "-b", trust(allow_assume(first)), MaxSessionDuration=7200)
    creds = keyward.client("sts").assume_role(RoleArn=first, RoleSessionName="one")["Credentials"]
    _, chained_sts = session_clients(keyward, creds)
    with pytest.raises(ClientError) as e:
        chained_sts.assume_role(RoleArn=second, RoleSessionName="two", DurationSeconds=7200)
    assert error_code(e) == "ValidationError"
    assert "1 hour session limit" in e.value.response["Error"]["Message"]
    two = chained_sts.assume_role(RoleArn=second, RoleSessionName="two")["Credentials"]
    _, two_sts = session_clients(keyward, two)
    assert two_sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}-b/two"


def test_session_policies_narrow_the_role(iam, keyward, name):
    account = keyward.account
    role_arn = make_role(iam, name, trust(allow_assume(f"arn:aws:iam::{account}:root")),
                         managed="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    narrow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"}]}
    creds = keyward.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="narrow",
                                              Policy=json.dumps(narrow))["Credentials"]
    role_iam, _ = session_clients(keyward, creds)
    role_iam.get_role(RoleName=name)
    with pytest.raises(ClientError) as e:
        role_iam.list_users()
    assert error_code(e) == "AccessDenied", "the session policy does not allow it"
    with pytest.raises(ClientError) as e:
        keyward.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="bad", Policy="{not json")
    assert error_code(e) == "MalformedPolicyDocument"


def test_session_tags_are_principal_tags(iam, keyward, name):
    account = keyward.account
    role_arn = make_role(iam, name, trust(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": ["sts:AssumeRole", "sts:TagSession"]}),
        inline={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]})
    sts = keyward.client("sts")
    blue = sts.assume_role(RoleArn=role_arn, RoleSessionName="blue",
                           Tags=[{"Key": "team", "Value": "blue"}])["Credentials"]
    red = sts.assume_role(RoleArn=role_arn, RoleSessionName="red",
                          Tags=[{"Key": "team", "Value": "red"}])["Credentials"]
    session_clients(keyward, blue)[0].get_role(RoleName=name)
    with pytest.raises(ClientError) as e:
        session_clients(keyward, red)[0].get_role(RoleName=name)
    assert error_code(e) == "AccessDenied"

    untaggable = make_role(iam, name + "-nt", trust(allow_assume(f"arn:aws:iam::{account}:root")))
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=untaggable, RoleSessionName="tagged", Tags=[{"Key": "team", "Value": "blue"}])
    assert error_code(e) == "AccessDenied", "tags need sts:TagSession in the trust policy"


def test_cli_assumes_a_role_from_a_profile(iam, keyward, name):
    account = keyward.account
    role_arn = make_role(iam, name, trust(allow_assume(f"arn:aws:iam::{account}:root")))
    config = os.path.join(keyward.dir, f"config-{name}")
    with open(os.path.join(keyward.dir, "config")) as f:
        base = f.read()
    with open(config, "w") as f:
        f.write(base + f"\n[profile {name}]\nrole_arn = {role_arn}\nsource_profile = keyward\n"
                f"role_session_name = cli-{name}\nendpoint_url = {keyward.url}\nregion = us-east-1\n")
    out = keyward.cli("sts", "get-caller-identity", profile=name, config=config)
    assert json.loads(out.stdout)["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}/cli-{name}"
    out = keyward.cli("sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "direct")
    assert json.loads(out.stdout)["AssumedRoleUser"]["Arn"].endswith(f"assumed-role/{name}/direct")


def enable_mfa(iam, user):
    """Gives `user` an enabled virtual MFA device; returns (serial, pyotp.TOTP)."""
    import pyotp
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
    totp = pyotp.TOTP(device["Base32StringSeed"].decode())
    now = time.time()
    iam.enable_mfa_device(UserName=user, SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.at(now - 60), AuthenticationCode2=totp.at(now - 30))
    return device["SerialNumber"], totp


def test_session_token_needs_mfa_for_iam(iam, keyward, name):
    key = user_with_key(iam, name, policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})
    serial, totp = enable_mfa(iam, name)
    sts = keyward.client("sts", key=key[0], secret=key[1])
    plain = sts.get_session_token(DurationSeconds=900)["Credentials"]
    plain_iam, plain_sts = session_clients(keyward, plain)
    assert plain_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{keyward.account}:user/{name}"
    with pytest.raises(ClientError) as e:
        plain_iam.get_user(UserName=name)
    assert error_code(e) == "AccessDenied", "no IAM without MFA"
    with pytest.raises(ClientError) as e:
        plain_sts.get_session_token()
    assert error_code(e) == "AccessDenied", "not from session credentials"

    code = totp.now()
    with_mfa = sts.get_session_token(SerialNumber=serial, TokenCode=code)["Credentials"]
    assert session_clients(keyward, with_mfa)[0].get_user(UserName=name)["User"]["UserName"] == name
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=serial, TokenCode=code)
    assert error_code(e) == "AccessDenied", "a code is accepted once"
    lifetime = (with_mfa["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 43_000 < lifetime <= 43_200, "twelve hours by default"


def test_assume_role_with_mfa_condition(iam, keyward, name):
    account = keyward.account
    key = user_with_key(iam, name)
    serial, totp = enable_mfa(iam, name)
    role_arn = make_role(iam, name, trust(allow_assume(
        f"arn:aws:iam::{account}:user/{name}", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})))
    sts = keyward.client("sts", key=key[0], secret=key[1])
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="nomfa")
    assert error_code(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="wrong", SerialNumber=serial, TokenCode="000000"
                        if totp.now() != "000000" else "111111")
    assert error_code(e) == "AccessDenied"
    got = sts.assume_role(RoleArn=role_arn, RoleSessionName="mfa", SerialNumber=serial, TokenCode=totp.now())
    assert got["AssumedRoleUser"]["Arn"].endswith(f"assumed-role/{name}/mfa")


def test_federation_tokens(iam, keyward, name):
    key = user_with_key(iam, name, policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUsers", "sts:GetFederationToken"],
         "Resource": "*"}]})
    sts = keyward.client("sts", key=key[0], secret=key[1])
    narrow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    got = sts.get_federation_token(Name="alice", Policy=json.dumps(narrow), DurationSeconds=900)
    assert got["FederatedUser"]["Arn"] == f"arn:aws:sts::{keyward.account}:federated-user/alice"
    assert got["FederatedUser"]["FederatedUserId"] == f"{keyward.account}:alice"
    fed_iam, fed_sts = session_clients(keyward, got["Credentials"])
    assert fed_sts.get_caller_identity()["Arn"] == got["FederatedUser"]["Arn"]
    with pytest.raises(ClientError) as e:
        fed_iam.list_users()
    assert error_code(e) == "AccessDenied", "federated users never call IAM"

    with pytest.raises(ClientError) as e:
        fed_sts.get_federation_token(Name="again")
    assert error_code(e) == "AccessDenied", "nor STS, but GetCallerIdentity"

    unpermitted = user_with_key(iam, name + "-np")
    with pytest.raises(ClientError) as e:
        keyward.client("sts", key=unpermitted[0], secret=unpermitted[1]).get_federation_token(Name="bob")
    assert error_code(e) == "AccessDenied", "needs sts:GetFederationToken"
    assert f"federated-user/bob" in str(e.value)


def test_access_key_info_names_the_account(iam, keyward, name):
    key = user_with_key(iam, name)
    sts = keyward.client("sts")
    assert sts.get_access_key_info(AccessKeyId=key[0])["Account"] == keyward.account
    role_arn = make_role(iam, name, trust(allow_assume(f"arn:aws:iam::{keyward.account}:root")))
    temporary = sts.assume_role(RoleArn=role_arn, RoleSessionName="info")["Credentials"]["AccessKeyId"]
    assert sts.get_access_key_info(AccessKeyId=temporary)["Account"] == keyward.account


def test_revoking_sessions_by_token_issue_time(iam, keyward, name):
    account = keyward.account
    role_arn = make_role(iam, name, trust(allow_assume(f"arn:aws:iam::{account}:root")),
                         managed="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    sts = keyward.client("sts")
    old = sts.assume_role(RoleArn=role_arn, RoleSessionName="old")["Credentials"]
    old_iam, old_sts = session_clients(keyward, old)
    old_iam.get_role(RoleName=name)
    # What the console's "Revoke active sessions" writes: deny everything to tokens issued
    # before now.
    time.sleep(1.1)
    cutoff = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1.1)
    iam.put_role_policy(RoleName=name, PolicyName="AWSRevokeOlderSessions", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                                 "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}}}]}))
    with pytest.raises(ClientError) as e:
        old_iam.get_role(RoleName=name)
    assert error_code(e) == "AccessDenied" and "explicit deny" in str(e.value)
    new = sts.assume_role(RoleArn=role_arn, RoleSessionName="new")["Credentials"]
    session_clients(keyward, new)[0].get_role(RoleName=name)


def test_cli_profile_with_mfa_external_id_and_duration(iam, keyward, name):
    account = keyward.account
    key = user_with_key(iam, name)
    serial, totp = enable_mfa(iam, name)
    role_arn = make_role(iam, name, trust(allow_assume(
        f"arn:aws:iam::{account}:user/{name}",
        Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}, "StringEquals": {"sts:ExternalId": "ext-1"}})),
        MaxSessionDuration=7200)
    credentials = os.path.join(keyward.dir, f"credentials-{name}")
    with open(credentials, "w") as f:
        f.write(f"[{name}-src]\naws_access_key_id = {key[0]}\naws_secret_access_key = {key[1]}\n")
    config = os.path.join(keyward.dir, f"config-{name}")
    with open(config, "w") as f:
        f.write(f"[profile {name}-src]\nregion = us-east-1\nendpoint_url = {keyward.url}\n"
                f"[profile {name}]\nrole_arn = {role_arn}\nsource_profile = {name}-src\nmfa_serial = {serial}\n"
                f"external_id = ext-1\nduration_seconds = 7200\nregion = us-east-1\nendpoint_url = {keyward.url}\n")
    out = keyward.cli("sts", "get-caller-identity", profile=name, config=config, credentials=credentials,
                      input=totp.now() + "\n", check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Arn"].startswith(f"arn:aws:sts::{account}:assumed-role/{name}/")


def test_source_identity_and_transitive_tags_follow_a_chain(iam, keyward, name):
    account = keyward.account
    first = make_role(iam, name + "-a", trust(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}),
        inline={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    second = make_role(iam, name + "-b", trust(
        {"Effect": "Allow", "Principal": {"AWS": first},
         "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
         "Condition": {"StringEquals": {"aws:PrincipalTag/project": "apollo", "sts:SourceIdentity": "alice"}}}),
        inline={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/project": "apollo",
                                            "aws:SourceIdentity": "alice"}}}]})
    sts = keyward.client("sts")
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=first, RoleSessionName="one", SourceIdentity="alice",
                        Tags=[{"Key": "project", "Value": "apollo"}], TransitiveTagKeys=["other"])
    assert error_code(e) == "InvalidParameterValue", "transitive keys must be session tags"
    one = sts.assume_role(RoleArn=first, RoleSessionName="one", SourceIdentity="alice",
                          Tags=[{"Key": "project", "Value": "apollo"}], TransitiveTagKeys=["project"])
    assert one["SourceIdentity"] == "alice"
    _, one_sts = session_clients(keyward, one["Credentials"])
    with pytest.raises(ClientError) as e:
        one_sts.assume_role(RoleArn=second, RoleSessionName="two", SourceIdentity="mallory")
    assert error_code(e) == "InvalidParameterValue", "a source identity is set once"
    with pytest.raises(ClientError) as e:
        one_sts.assume_role(RoleArn=second, RoleSessionName="two", Tags=[{"Key": "project", "Value": "x"}])
    assert error_code(e) == "InvalidParameterValue", "inherited transitive tags cannot be replaced"
    two = one_sts.assume_role(RoleArn=second, RoleSessionName="two")
    assert two["SourceIdentity"] == "alice"
    two_iam, _ = session_clients(keyward, two["Credentials"])
    assert two_iam.get_role(RoleName=name + "-b")["Role"]["RoleName"] == name + "-b"


def test_cross_account_needs_both_sides(iam, keyward, name):
    other_account, other_key, other_secret = keyward.create_account()
    theirs = keyward.client(key=other_key, secret=other_secret)
    trusting = make_role(theirs, name, trust(allow_assume(keyward.account)),
                         managed="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    distrusting = make_role(theirs, name + "-closed", trust(allow_assume(other_account)))
    allowed_key = user_with_key(iam, name + "-yes", policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{other_account}:role/*"}]})
    bare_key = user_with_key(iam, name + "-no")
    allowed = keyward.client("sts", key=allowed_key[0], secret=allowed_key[1])
    got = allowed.assume_role(RoleArn=trusting, RoleSessionName="visit")
    assert got["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{other_account}:assumed-role/{name}/visit"
    visit_iam, visit_sts = session_clients(keyward, got["Credentials"])
    assert visit_sts.get_caller_identity()["Account"] == other_account
    assert all(f":{other_account}:" in u["Arn"] for u in visit_iam.list_users()["Users"]), \
        "the session acts in the role's account"
    with pytest.raises(ClientError) as e:
        keyward.client("sts", key=bare_key[0], secret=bare_key[1]).assume_role(
            RoleArn=trusting, RoleSessionName="visit")
    assert error_code(e) == "AccessDenied", "the caller's account must allow it too"
    with pytest.raises(ClientError) as e:
        allowed.assume_role(RoleArn=distrusting, RoleSessionName="visit")
    assert error_code(e) == "AccessDenied", "the role's trust policy must allow it"


def wrong_codes(totp, count):
    """`count` six-digit codes none of which is valid now (nor in the windows around now)."""
    now = time.time()
    valid = {totp.at(now + step * 30) for step in (-1, 0, 1)}
    return [c for c in (f"{n:06d}" for n in range(100000, 100000 + count + 3)) if c not in valid][:count]


def test_mfa_codes_sent_to_sts_are_throttled_per_device(iam, keyward, name):
    """Thirty wrong codes lock the device: the right code is then refused too, by
    GetSessionToken and by AssumeRole alike, until the lock runs out."""
    account = keyward.account
    key = user_with_key(iam, name)
    serial, totp = enable_mfa(iam, name)
    role_arn = make_role(iam, name, trust(allow_assume(f"arn:aws:iam::{account}:user/{name}")))
    sts = keyward.client("sts", key=key[0], secret=key[1])
    messages = set()
    for code in wrong_codes(totp, 30):
        with pytest.raises(ClientError) as e:
            sts.get_session_token(SerialNumber=serial, TokenCode=code)
        assert error_code(e) == "AccessDenied"
        messages.add(e.value.response["Error"]["Message"])
    assert any("too many invalid" in m for m in messages), messages
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=serial, TokenCode=totp.now())
    assert error_code(e) == "AccessDenied", "the right code waits out the lock"
    assert "too many invalid" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="locked", SerialNumber=serial,
                        TokenCode=totp.now())
    assert "too many invalid" in e.value.response["Error"]["Message"]
    # Without MFA the key still works: the lock is the device's, not the user's.
    assert sts.get_caller_identity()["Arn"].endswith(f":user/{name}")


def test_another_users_device_is_not_locked_by_naming_it(iam, keyward, name):
    victim = name + "-v"
    victim_key = user_with_key(iam, victim)
    serial, totp = enable_mfa(iam, victim)
    key = user_with_key(iam, name)
    sts = keyward.client("sts", key=key[0], secret=key[1])
    for code in wrong_codes(totp, 12):
        with pytest.raises(ClientError):
            sts.get_session_token(SerialNumber=serial, TokenCode=code)
    victim_sts = keyward.client("sts", key=victim_key[0], secret=victim_key[1])
    got = victim_sts.get_session_token(SerialNumber=serial, TokenCode=totp.now())
    assert got["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_an_untrusted_caller_learns_nothing_about_the_role(iam, keyward, name):
    """Whatever else is wrong with the request, a caller the role does not trust (or a caller
    naming a missing role) gets the one AccessDenied; only a trusted caller hears the details."""
    other_account, other_key, other_secret = keyward.create_account()
    theirs = keyward.client(key=other_key, secret=other_secret)
    closed = make_role(theirs, name + "-closed", trust(allow_assume(other_account)))
    opened = make_role(theirs, name + "-open", trust(allow_assume(keyward.account)))
    key = user_with_key(iam, name, policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    sts = keyward.client("sts", key=key[0], secret=key[1])
    missing_policy = f"arn:aws:iam::{other_account}:policy/{name}-missing"
    odd_requests = ({}, {"DurationSeconds": 43200}, {"PolicyArns": [{"arn": missing_policy}]},
                    {"DurationSeconds": 43200, "PolicyArns": [{"arn": missing_policy}]})

    def refusal(role_arn, **kwargs):
        with pytest.raises(ClientError) as e:
            sts.assume_role(RoleArn=role_arn, RoleSessionName="probe", **kwargs)
        r = e.value.response
        return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]

    for role_arn in (closed, f"arn:aws:iam::{other_account}:role/{name}-missing"):
        expected = (403, "AccessDenied",
                    f"User: arn:aws:iam::{keyward.account}:user/{name} is not authorized to perform: "
                    f"sts:AssumeRole on resource: {role_arn}")
        for kwargs in odd_requests:
            assert refusal(role_arn, **kwargs) == expected, (role_arn, kwargs)

    # The trusted caller is told what is wrong.
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=opened, RoleSessionName="probe", DurationSeconds=43200)
    assert error_code(e) == "ValidationError"
    assert "MaxSessionDuration" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=opened, RoleSessionName="probe", PolicyArns=[{"arn": missing_policy}])
    assert error_code(e) == "InvalidParameterValue"
    assert missing_policy in e.value.response["Error"]["Message"]
    assert sts.assume_role(RoleArn=opened, RoleSessionName="probe")["Credentials"]["SessionToken"]
