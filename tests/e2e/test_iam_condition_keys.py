"""IAM's own condition keys on signed IAM calls: guardrails written with iam:PolicyARN,
iam:PermissionsBoundary, aws:RequestTag/*, aws:TagKeys, aws:ResourceTag/* and iam:ResourceTag/*
apply as on AWS (the service authorization reference for IAM lists which action gets which)."""
import json

import pytest
from botocore.exceptions import ClientError

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW_IAM = {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}


def caller(keyward, iam, name, document, tags=None):
    """A user with `document` as its inline policy, and a client signed with its own key."""
    iam.create_user(UserName=name, **({"Tags": tags} if tags else {}))
    iam.put_user_policy(UserName=name, PolicyName="guard", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return keyward.client(key=key["AccessKeyId"], secret=key["SecretAccessKey"])


def denied(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    assert error_code(e) == "AccessDenied", e.value.response
    return e.value.response["Error"]["Message"]


def test_policy_arn_guardrail_stops_attaching_administrator_access(iam, keyward, name):
    """The issue's reproduction: a Deny on iam:PolicyARN is applied to AttachUserPolicy."""
    me = caller(keyward, iam, name, policy(ALLOW_IAM, {
        "Effect": "Deny", "Action": ["iam:AttachUserPolicy", "iam:AttachRolePolicy"], "Resource": "*",
        "Condition": {"ArnEquals": {"iam:PolicyARN": ADMIN}}}))
    message = denied(me.attach_user_policy, UserName=name, PolicyArn=ADMIN)
    assert "iam:AttachUserPolicy" in message and "explicit deny" in message
    attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert ADMIN not in [p["PolicyArn"] for p in attached], "nothing was attached"
    # Another policy is not what the guardrail is about.
    me.attach_user_policy(UserName=name, PolicyArn=READ_ONLY)
    attached = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [READ_ONLY]


def test_request_tag_and_tag_keys_guardrails(iam, keyward, name):
    me = caller(keyward, iam, name, policy(ALLOW_IAM, {
        # A team given to a new or retagged user must be blue.
        "Effect": "Deny", "Action": ["iam:CreateUser", "iam:TagUser"], "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestTag/team": "blue"},
                      "Null": {"aws:RequestTag/team": "false"}}}, {
        # Nobody sets or removes the `owner` tag.
        "Effect": "Deny", "Action": ["iam:CreateUser", "iam:TagUser", "iam:UntagUser"], "Resource": "*",
        "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}}}))
    blue = name + "b"
    me.create_user(UserName=blue, Tags=[{"Key": "team", "Value": "blue"}])
    assert iam.list_user_tags(UserName=blue)["Tags"] == [{"Key": "team", "Value": "blue"}]
    denied(me.create_user, UserName=name + "r", Tags=[{"Key": "team", "Value": "red"}])
    denied(me.create_user, UserName=name + "o", Tags=[{"Key": "owner", "Value": "me"}])
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=name + "r")
    assert error_code(e) == "NoSuchEntity", "a refused create creates nothing"

    denied(me.tag_user, UserName=blue, Tags=[{"Key": "team", "Value": "red"}])
    denied(me.tag_user, UserName=blue, Tags=[{"Key": "owner", "Value": "me"}])
    me.tag_user(UserName=blue, Tags=[{"Key": "stage", "Value": "dev"}])

    iam.tag_user(UserName=blue, Tags=[{"Key": "owner", "Value": "admin"}])
    denied(me.untag_user, UserName=blue, TagKeys=["owner"])
    me.untag_user(UserName=blue, TagKeys=["stage"])
    assert {t["Key"] for t in iam.list_user_tags(UserName=blue)["Tags"]} == {"team", "owner"}


def test_resource_tag_guardrails_on_users_roles_and_policies(iam, keyward, name):
    me = caller(keyward, iam, name, policy(ALLOW_IAM, {
        "Effect": "Deny", "Action": ["iam:DeleteUser", "iam:DeletePolicy"], "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/protected": "true"}}}, {
        "Effect": "Deny", "Action": "iam:UpdateRoleDescription", "Resource": "*",
        "Condition": {"StringEquals": {"iam:ResourceTag/protected": "true"}}}))
    protected = [{"Key": "protected", "Value": "true"}]
    iam.create_user(UserName=name + "p", Tags=protected)
    iam.create_user(UserName=name + "q")
    denied(me.delete_user, UserName=name + "p")
    me.delete_user(UserName=name + "q")
    assert iam.get_user(UserName=name + "p")["User"]["UserName"] == name + "p"

    trust = policy({"Effect": "Allow", "Action": "sts:AssumeRole",
                    "Principal": {"AWS": f"arn:aws:iam::{keyward.account}:root"}})
    iam.create_role(RoleName=name + "p", AssumeRolePolicyDocument=json.dumps(trust), Tags=protected)
    iam.create_role(RoleName=name + "q", AssumeRolePolicyDocument=json.dumps(trust))
    denied(me.update_role_description, RoleName=name + "p", Description="changed")
    me.update_role_description(RoleName=name + "q", Description="changed")

    kept = iam.create_policy(PolicyName=name + "p", PolicyDocument=json.dumps(DOC), Tags=protected)
    other = iam.create_policy(PolicyName=name + "q", PolicyDocument=json.dumps(DOC))
    denied(me.delete_policy, PolicyArn=kept["Policy"]["Arn"])
    me.delete_policy(PolicyArn=other["Policy"]["Arn"])


def test_resource_tags_as_policy_variables_grant_by_team(iam, keyward, name):
    """Attribute-based access: read users of one's own team, through a variable."""
    me = caller(keyward, iam, name, policy({
        "Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}),
        tags=[{"Key": "team", "Value": "blue"}])
    iam.create_user(UserName=name + "b", Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_user(UserName=name + "r", Tags=[{"Key": "team", "Value": "red"}])
    assert me.get_user(UserName=name + "b")["User"]["UserName"] == name + "b"
    denied(me.get_user, UserName=name + "r")


def test_permissions_boundary_required_on_create_user_and_on_the_target(iam, keyward, name):
    boundary = iam.create_policy(PolicyName=name + "boundary", PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
    other = iam.create_policy(PolicyName=name + "other", PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
    me = caller(keyward, iam, name, policy(ALLOW_IAM, {
        # New users must get the boundary, and only users under it may be given more.
        "Effect": "Deny", "Action": ["iam:CreateUser", "iam:AttachUserPolicy"], "Resource": "*",
        "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": boundary}}}))
    me.create_user(UserName=name + "ok", PermissionsBoundary=boundary)
    assert iam.get_user(UserName=name + "ok")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    denied(me.create_user, UserName=name + "none")
    denied(me.create_user, UserName=name + "wrong", PermissionsBoundary=other)

    # AttachUserPolicy reads the boundary the target user has now.
    me.attach_user_policy(UserName=name + "ok", PolicyArn=READ_ONLY)
    iam.create_user(UserName=name + "free")
    denied(me.attach_user_policy, UserName=name + "free", PolicyArn=READ_ONLY)
