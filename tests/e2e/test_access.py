"""Access keys, SigV4 failures, least privilege and the AWS CLI."""
import json

import pytest
from botocore.exceptions import ClientError


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def new_user_with_key(iam, name, policy=None):
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_access_keys(iam, keyward, name):
    key_id, secret = new_user_with_key(iam, name)
    assert key_id.startswith("AKIA") and len(key_id) == 20 and len(secret) == 40
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key_id] and "SecretAccessKey" not in listed[0]
    iam.create_access_key(UserName=name)
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName=name)
    assert error_code(e) == "LimitExceeded", "two keys per user"

    own = keyward.client(key=key_id, secret=secret)
    with pytest.raises(ClientError) as e:
        own.list_users()
    assert error_code(e) == "AccessDenied", "a user without policies may do nothing"
    last = iam.get_access_key_last_used(AccessKeyId=key_id)
    assert last["UserName"] == name and last["AccessKeyLastUsed"]["ServiceName"] == "iam"

    with pytest.raises(ClientError) as e:
        keyward.client(key=key_id, secret=secret[:-1] + ("A" if secret[-1] != "A" else "B")).list_users()
    assert error_code(e) == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as e:
        keyward.client(key="AKIAAAAAAAAAAAAAAAAA", secret=secret).list_users()
    assert error_code(e) == "InvalidClientTokenId"

    iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Inactive")
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    with pytest.raises(ClientError) as e:
        own.get_user()
    assert error_code(e) == "InvalidClientTokenId", "an inactive key no longer signs"
    iam.delete_access_key(UserName=name, AccessKeyId=key_id)
    with pytest.raises(ClientError) as e:
        iam.delete_access_key(UserName=name, AccessKeyId=key_id)
    assert error_code(e) == "NoSuchEntity"


def test_least_privilege(iam, keyward, name):
    account = keyward.account
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListAccessKeys"],
         "Resource": "arn:aws:iam::*:user/${aws:username}"},
        {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:CreateUser", "Resource": f"arn:aws:iam::{account}:user/sandbox/*"},
        {"Effect": "Deny", "Action": "iam:CreateUser", "Resource": f"arn:aws:iam::{account}:user/sandbox/root*"},
    ]}
    key_id, secret = new_user_with_key(iam, name, policy)
    me = keyward.client(key=key_id, secret=secret)
    assert me.get_user()["User"]["UserName"] == name, "GetUser without a name is the caller"
    assert me.list_access_keys()["AccessKeyMetadata"][0]["AccessKeyId"] == key_id
    assert "admin" in [u["UserName"] for u in me.list_users()["Users"]]
    me.create_user(UserName=name + "-kid", Path="/sandbox/")

    with pytest.raises(ClientError) as e:
        me.get_user(UserName="admin")
    assert error_code(e) == "AccessDenied"
    message = e.value.response["Error"]["Message"]
    assert f"arn:aws:iam::{account}:user/{name}" in message and "iam:GetUser" in message
    assert f"arn:aws:iam::{account}:user/admin" in message
    with pytest.raises(ClientError) as e:
        me.get_user(UserName="nobody-" + name)
    assert error_code(e) == "AccessDenied", "a denied caller does not learn whether a user exists"
    with pytest.raises(ClientError) as e:
        me.create_user(UserName=name + "-out")
    assert error_code(e) == "AccessDenied", "outside /sandbox/"
    with pytest.raises(ClientError) as e:
        me.create_user(UserName="rootish", Path="/sandbox/")
    assert error_code(e) == "AccessDenied"
    assert "explicit deny" in e.value.response["Error"]["Message"]

    # A permissions boundary caps what the inline policy grants.
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    with pytest.raises(ClientError) as e:
        me.create_user(UserName=name + "-kid2", Path="/sandbox/")
    assert error_code(e) == "AccessDenied"
    assert me.get_user()["User"]["UserName"] == name
    iam.delete_user_permissions_boundary(UserName=name)
    me.create_user(UserName=name + "-kid2", Path="/sandbox/")

    # Permissions granted through a group take effect at once.
    iam.create_group(GroupName=name)
    iam.attach_group_policy(GroupName=name, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    with pytest.raises(ClientError):
        me.get_user(UserName="admin")
    iam.add_user_to_group(GroupName=name, UserName=name)
    assert me.get_user(UserName="admin")["User"]["UserName"] == "admin"


def test_the_aws_cli_with_the_generated_profile(keyward, name):
    users = json.loads(keyward.cli("iam", "list-users", "--page-size", "1").stdout)["Users"]
    assert "admin" in [u["UserName"] for u in users]
    created = json.loads(keyward.cli("iam", "create-user", "--user-name", name).stdout)["User"]
    assert created["UserName"] == name
    keyward.cli("iam", "create-user", "--user-name", name + "2")
    everyone = json.loads(keyward.cli("iam", "list-users", "--page-size", "1").stdout)["Users"]
    assert {name, name + "2", "admin"} <= {u["UserName"] for u in everyone}, "the CLI follows markers"
    failed = keyward.cli("iam", "get-user", "--user-name", "nobody-" + name, check=False)
    assert failed.returncode != 0 and "NoSuchEntity" in failed.stderr
