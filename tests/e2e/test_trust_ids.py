"""Trust policies name users and roles by the unique ids they had when the policy was saved, as
AWS keeps them: a user deleted and created again under the same name is not trusted."""
import json

import pytest
from botocore.exceptions import ClientError


def error(excinfo):
    return excinfo.value.response["Error"]


def trusting(*principals):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}]})


def user_with_key(iam, keyward, user):
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return key["AccessKeyId"], keyward.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])


def delete_user(iam, user, key_id):
    iam.delete_access_key(UserName=user, AccessKeyId=key_id)
    iam.delete_user(UserName=user)


def role_trust(iam, role):
    return iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"]


def test_a_user_created_again_under_a_trusted_name_is_not_trusted(iam, keyward, name):
    bob = f"{name}-bob"
    bob_arn = f"arn:aws:iam::{keyward.account}:user/{bob}"
    key_id, sts = user_with_key(iam, keyward, bob)
    old_id = iam.get_user(UserName=bob)["User"]["UserId"]
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trusting(bob_arn))
    role_arn = f"arn:aws:iam::{keyward.account}:role/{name}"
    sts.assume_role(RoleArn=role_arn, RoleSessionName="before")
    assert role_trust(iam, name) == [bob_arn]

    delete_user(iam, bob, key_id)
    # The policy now shows the unique id of the principal it trusted, as IAM does, in GetRole
    # and in ListRoles.
    assert role_trust(iam, name) == [old_id]
    listed = [r for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]]
    [mine] = [r for r in listed if r["RoleName"] == name]
    assert mine["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"] == [old_id]
    _, new_sts = user_with_key(iam, keyward, bob)
    with pytest.raises(ClientError) as e:
        new_sts.assume_role(RoleArn=role_arn, RoleSessionName="after")
    assert error(e)["Code"] == "AccessDenied"
    # Saving the policy again binds the name to the new bob.
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=trusting(bob_arn))
    new_sts.assume_role(RoleArn=role_arn, RoleSessionName="rebound")


def test_a_renamed_user_keeps_the_trust_and_shows_its_new_arn(iam, keyward, name):
    old, new = f"{name}-old", f"{name}-new"
    _, sts = user_with_key(iam, keyward, old)
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trusting(
        f"arn:aws:iam::{keyward.account}:user/{old}", f"arn:aws:iam::{keyward.account}:root"))
    iam.update_user(UserName=old, NewUserName=new)
    sts.assume_role(RoleArn=f"arn:aws:iam::{keyward.account}:role/{name}", RoleSessionName="renamed")
    assert role_trust(iam, name) == [f"arn:aws:iam::{keyward.account}:user/{new}",
                                     f"arn:aws:iam::{keyward.account}:root"]


def test_a_role_created_again_under_a_trusted_name_is_not_trusted(iam, keyward, name):
    """A role's sessions are trusted through the role's id: another role of the same name
    later is a different role."""
    account = keyward.account
    worker = f"{name}-worker"
    iam.create_role(RoleName=worker, AssumeRolePolicyDocument=trusting(f"arn:aws:iam::{account}:root"))
    iam.put_role_policy(RoleName=worker, PolicyName="hop", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trusting(f"arn:aws:iam::{account}:role/{worker}"))

    def hop():
        creds = keyward.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{worker}", RoleSessionName="worker")["Credentials"]
        as_worker = keyward.client("sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                                   token=creds["SessionToken"])
        return as_worker.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{name}", RoleSessionName="hop")

    hop()
    iam.delete_role_policy(RoleName=worker, PolicyName="hop")
    iam.delete_role(RoleName=worker)
    iam.create_role(RoleName=worker, AssumeRolePolicyDocument=trusting(f"arn:aws:iam::{account}:root"))
    iam.put_role_policy(RoleName=worker, PolicyName="hop", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    with pytest.raises(ClientError) as e:
        hop()
    assert error(e)["Code"] == "AccessDenied"


def test_a_trust_policy_naming_nobody_is_refused(iam, keyward, name):
    ghost = f"arn:aws:iam::{keyward.account}:user/{name}-ghost"
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trusting(ghost))
    assert error(e)["Code"] == "MalformedPolicyDocument"
    assert error(e)["Message"] == f'Invalid principal in policy: "AWS":"{ghost}"'
    with pytest.raises(ClientError):
        iam.get_role(RoleName=name)
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trusting(f"arn:aws:iam::{keyward.account}:root"))
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=trusting(ghost))
    assert error(e)["Code"] == "MalformedPolicyDocument"
    assert role_trust(iam, name) == [f"arn:aws:iam::{keyward.account}:root"]
