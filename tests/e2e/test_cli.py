"""The AWS CLI, unmodified, across the families: what an administrator types at a shell."""
import json
import time

import pyotp

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def aws(keyward, *args):
    """Runs `aws iam ...` and returns its JSON output (empty dict for commands that print nothing)."""
    out = keyward.cli("iam", *args).stdout
    return json.loads(out) if out.strip() else {}


def fails(keyward, *args):
    """Runs a command that must fail; returns its error output."""
    done = keyward.cli("iam", *args, check=False)
    assert done.returncode == 255, done.stdout
    return done.stderr


def test_group_inline_and_attached_policies(keyward, name):
    aws(keyward, "create-group", "--group-name", name)
    aws(keyward, "put-group-policy", "--group-name", name, "--policy-name", "Read",
        "--policy-document", json.dumps(DOC))
    got = aws(keyward, "get-group-policy", "--group-name", name, "--policy-name", "Read")
    assert got["PolicyDocument"] == DOC and got["GroupName"] == name
    assert aws(keyward, "list-group-policies", "--group-name", name)["PolicyNames"] == ["Read"]
    aws(keyward, "delete-group-policy", "--group-name", name, "--policy-name", "Read")
    assert "(NoSuchEntity)" in fails(keyward, "get-group-policy", "--group-name", name, "--policy-name", "Read")

    aws(keyward, "attach-group-policy", "--group-name", name, "--policy-arn", READ_ONLY)
    attached = aws(keyward, "list-attached-group-policies", "--group-name", name)["AttachedPolicies"]
    assert attached == [{"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY}]
    assert "(DeleteConflict)" in fails(keyward, "delete-group", "--group-name", name)
    aws(keyward, "detach-group-policy", "--group-name", name, "--policy-arn", READ_ONLY)
    assert aws(keyward, "list-attached-group-policies", "--group-name", name)["AttachedPolicies"] == []
    aws(keyward, "delete-group", "--group-name", name)


def test_role_policies_trust_and_description(keyward, name):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{keyward.account}:root"}}]}
    aws(keyward, "create-role", "--role-name", name, "--assume-role-policy-document", json.dumps(trust))
    aws(keyward, "put-role-policy", "--role-name", name, "--policy-name", "Read",
        "--policy-document", json.dumps(DOC))
    assert aws(keyward, "get-role-policy", "--role-name", name, "--policy-name", "read")["PolicyDocument"] == DOC
    assert aws(keyward, "list-role-policies", "--role-name", name)["PolicyNames"] == ["Read"]
    aws(keyward, "delete-role-policy", "--role-name", name, "--policy-name", "Read")
    assert aws(keyward, "list-role-policies", "--role-name", name)["PolicyNames"] == []

    aws(keyward, "attach-role-policy", "--role-name", name, "--policy-arn", READ_ONLY)
    aws(keyward, "detach-role-policy", "--role-name", name, "--policy-arn", READ_ONLY)
    assert "(NoSuchEntity)" in fails(keyward, "detach-role-policy", "--role-name", name, "--policy-arn", READ_ONLY)

    service_trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                     "Principal": {"Service": "ec2.amazonaws.com"}}]}
    aws(keyward, "update-assume-role-policy", "--role-name", name, "--policy-document", json.dumps(service_trust))
    role = aws(keyward, "update-role-description", "--role-name", name, "--description", "for instances")["Role"]
    assert role["Description"] == "for instances"
    got = aws(keyward, "get-role", "--role-name", name)["Role"]
    assert got["AssumeRolePolicyDocument"] == service_trust and got["Description"] == "for instances"
    assert "(MalformedPolicyDocument)" in fails(keyward, "update-assume-role-policy", "--role-name", name,
                                                "--policy-document", "{not json")
    aws(keyward, "delete-role", "--role-name", name)


def test_user_policies_and_login_profile(keyward, name):
    aws(keyward, "create-user", "--user-name", name)
    aws(keyward, "attach-user-policy", "--user-name", name, "--policy-arn", READ_ONLY)
    attached = aws(keyward, "list-attached-user-policies", "--user-name", name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [READ_ONLY]
    aws(keyward, "create-login-profile", "--user-name", name, "--password", "Correct-Horse-1",
        "--password-reset-required")
    assert aws(keyward, "get-login-profile", "--user-name", name)["LoginProfile"]["PasswordResetRequired"]
    aws(keyward, "update-login-profile", "--user-name", name, "--password", "Battery-Staple-2",
        "--no-password-reset-required")
    assert not aws(keyward, "get-login-profile", "--user-name", name)["LoginProfile"]["PasswordResetRequired"]
    assert "(NoSuchEntity)" in fails(keyward, "update-login-profile", "--user-name", name + "x",
                                     "--password", "Battery-Staple-2")


def test_resync_mfa_device(keyward, name):
    aws(keyward, "create-user", "--user-name", name)
    out = aws(keyward, "create-virtual-mfa-device", "--virtual-mfa-device-name", name,
              "--outfile", f"{keyward.dir}/{name}.txt", "--bootstrap-method", "Base32StringSeed")
    serial = out["VirtualMFADevice"]["SerialNumber"]
    with open(f"{keyward.dir}/{name}.txt") as f:
        totp = pyotp.TOTP(f.read().strip())
    now = time.time()
    aws(keyward, "enable-mfa-device", "--user-name", name, "--serial-number", serial,
        "--authentication-code1", totp.at(now - 60), "--authentication-code2", totp.at(now - 30))
    assert "(InvalidAuthenticationCode)" in fails(
        keyward, "resync-mfa-device", "--user-name", name, "--serial-number", serial,
        "--authentication-code1", "123456", "--authentication-code2", "654321")
    aws(keyward, "resync-mfa-device", "--user-name", name, "--serial-number", serial,
        "--authentication-code1", totp.at(now), "--authentication-code2", totp.at(now + 30))


def test_authorization_details_in_pages(keyward, iam, name):
    for i in range(3):
        aws(keyward, "create-user", "--user-name", f"{name}-{i}")
    aws(keyward, "create-group", "--group-name", name)
    whole = aws(keyward, "get-account-authorization-details", "--filter", "User", "Group", "LocalManagedPolicy")
    paged = aws(keyward, "get-account-authorization-details", "--filter", "User", "Group", "LocalManagedPolicy",
                "--page-size", "1")
    assert paged == whole, "the CLI joins the pages into the same answer"
    assert {f"{name}-{i}" for i in range(3)} <= {u["UserName"] for u in whole["UserDetailList"]}
    assert name in {g["GroupName"] for g in whole["GroupDetailList"]}

    first = iam.get_account_authorization_details(Filter=["User", "Group"], MaxItems=2)
    assert first["IsTruncated"] and len(first["UserDetailList"]) + len(first["GroupDetailList"]) == 2
    pages = list(iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User", "Group"], PaginationConfig={"PageSize": 2}))
    users = [u["UserName"] for p in pages for u in p["UserDetailList"]]
    groups = [g["GroupName"] for p in pages for g in p["GroupDetailList"]]
    assert len(users) == len(set(users)) and len(groups) == len(set(groups)), "no item twice"
    assert set(users) == {u["UserName"] for u in whole["UserDetailList"]}
    assert set(groups) == {g["GroupName"] for g in whole["GroupDetailList"]}
    assert all(len(p["UserDetailList"]) + len(p["GroupDetailList"]) <= 2 for p in pages)
