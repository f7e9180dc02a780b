"""Managed and inline policies, versions, attachments and boundaries through boto3."""
import json

import pytest
from botocore.exceptions import ClientError

ALLOW_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_managed_policy_versions(iam, keyward, name):
    policy = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(ALLOW_S3), Description="d")["Policy"]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{keyward.account}:policy/{name}"
    assert policy["DefaultVersionId"] == "v1" and policy["PolicyId"].startswith("ANPA")
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == ALLOW_S3, "botocore decodes the URL-encoded document"
    for n in range(2, 6):
        made = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_S3), SetAsDefault=(n == 3))
        assert made["PolicyVersion"]["VersionId"] == f"v{n}"
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_S3))
    assert error_code(e) == "LimitExceeded"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    with pytest.raises(ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert error_code(e) == "DeleteConflict"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v5")
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert {v["VersionId"]: v["IsDefaultVersion"] for v in versions}["v5"] is True
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert error_code(e) == "DeleteConflict", "non-default versions must go first"
    for v in ("v1", "v2", "v3", "v4"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=arn)
    assert error_code(e) == "NoSuchEntity"


@pytest.mark.parametrize("document", [
    "not json",
    '{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}',
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}]}',
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*",'
    '"Condition":{"StringEqualsMaybe":{"aws:username":"x"}}}]}',
])
def test_malformed_documents_are_refused(iam, keyward, name, document):
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=name, PolicyDocument=document)
    assert error_code(e) == "MalformedPolicyDocument"
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=f"arn:aws:iam::{keyward.account}:policy/{name}")
    assert error_code(e) == "NoSuchEntity", "nothing was written"


def test_attachments_and_listing(iam, name):
    iam.create_user(UserName=name)
    iam.create_group(GroupName=name)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(ALLOW_S3))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    iam.attach_group_policy(GroupName=name, PolicyArn=arn)
    iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == [name]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == [name]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [name]
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert attached == [{"PolicyName": name, "PolicyArn": arn}]
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert error_code(e) == "DeleteConflict"
    iam.detach_user_policy(UserName=name, PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.detach_user_policy(UserName=name, PolicyArn=arn)
    assert error_code(e) == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
    assert error_code(e) == "NoSuchEntity"
    aws = [p["PolicyName"] for p in iam.list_policies(Scope="AWS")["Policies"]]
    assert {"AdministratorAccess", "ReadOnlyAccess", "IAMUserChangePassword"} <= set(aws)
    local = [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]
    assert name in local and "AdministratorAccess" not in local
    attached_only = [p["PolicyName"] for p in iam.list_policies(OnlyAttached=True)["Policies"]]
    assert name in attached_only and "PowerUserAccess" not in attached_only


def test_ten_managed_policies_per_user_at_most(iam, name):
    iam.create_user(UserName=name)
    arns = [iam.create_policy(PolicyName=f"{name}-{i}", PolicyDocument=json.dumps(ALLOW_S3))["Policy"]["Arn"]
            for i in range(11)]
    for arn in arns[:10]:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.attach_user_policy(UserName=name, PolicyArn=arns[10])
    assert error_code(e) == "LimitExceeded"


def test_inline_policies(iam, name):
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="ReadS3", PolicyDocument=json.dumps(ALLOW_S3))
    got = iam.get_user_policy(UserName=name, PolicyName="reads3")
    assert got["PolicyName"] == "ReadS3" and got["PolicyDocument"] == ALLOW_S3
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["ReadS3"]
    too_big = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": f"s3:GetObject{i}", "Resource": "*"} for i in range(60)]}
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName=name, PolicyName="Big", PolicyDocument=json.dumps(too_big))
    assert error_code(e) == "LimitExceeded", "user inline policies hold 2,048 characters"
    iam.delete_user_policy(UserName=name, PolicyName="ReadS3")
    with pytest.raises(ClientError) as e:
        iam.get_user_policy(UserName=name, PolicyName="ReadS3")
    assert error_code(e) == "NoSuchEntity"


def test_roles(iam, keyward, name):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{keyward.account}:root"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName=name, Path="/svc/", AssumeRolePolicyDocument=json.dumps(trust),
                           Description="first", MaxSessionDuration=7200,
                           Tags=[{"Key": "k", "Value": "v"}])["Role"]
    assert role["Arn"] == f"arn:aws:iam::{keyward.account}:role/svc/{name}" and role["RoleId"].startswith("AROA")
    got = iam.get_role(RoleName=name)["Role"]
    assert got["AssumeRolePolicyDocument"] == trust and got["MaxSessionDuration"] == 7200
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    iam.update_role(RoleName=name, Description="second", MaxSessionDuration=3600)
    assert iam.get_role(RoleName=name)["Role"]["Description"] == "second"
    unchecked = keyward.client(validate=False)
    for bad in (100, 43201):
        with pytest.raises(ClientError) as e:
            unchecked.update_role(RoleName=name, MaxSessionDuration=bad)
        assert error_code(e) == "ValidationError"
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=name + "b", AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}))
    assert error_code(e) == "MalformedPolicyDocument", "a trust policy needs a principal"
    iam.tag_role(RoleName=name, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "K", "Value": "w"}])
    assert {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]} == {"env": "prod", "K": "w"}
    iam.untag_role(RoleName=name, TagKeys=["env"])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "K", "Value": "w"}]
    iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
    boundary = iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"]
    assert boundary["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    iam.delete_role_permissions_boundary(RoleName=name)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=name)["Role"]
    assert name in [r["RoleName"] for r in iam.list_roles(PathPrefix="/svc/")["Roles"]]
    iam.delete_role(RoleName=name)
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=name)
    assert error_code(e) == "NoSuchEntity"
