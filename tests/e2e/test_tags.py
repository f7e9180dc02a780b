"""Tags on every taggable kind (users, roles, managed policies, instance profiles, OpenID Connect
providers, virtual MFA devices), through boto3's paginators and the AWS CLI."""
import json

import pytest
from botocore.exceptions import ClientError

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def make(iam, keyward, kind, name):
    """Creates one entity of `kind`; returns the parameters that name it in Tag/Untag/List."""
    if kind == "User":
        iam.create_user(UserName=name)
        return {"UserName": name}
    if kind == "Role":
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": f"arn:aws:iam::{keyward.account}:root"}}]}
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        return {"RoleName": name}
    if kind == "Policy":
        arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
        return {"PolicyArn": arn}
    if kind == "InstanceProfile":
        iam.create_instance_profile(InstanceProfileName=name)
        return {"InstanceProfileName": name}
    if kind == "OpenIDConnectProvider":
        arn = iam.create_open_id_connect_provider(Url=f"https://{name}.example.com",
                                                  ClientIDList=["app"])["OpenIDConnectProviderArn"]
        return {"OpenIDConnectProviderArn": arn}
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
    return {"SerialNumber": serial}


def snake(kind):
    return {"User": "user", "Role": "role", "Policy": "policy", "InstanceProfile": "instance_profile",
            "OpenIDConnectProvider": "open_id_connect_provider", "MFADevice": "mfa_device"}[kind]


KINDS = ["User", "Role", "Policy", "InstanceProfile", "OpenIDConnectProvider", "MFADevice"]


@pytest.mark.parametrize("kind", KINDS)
def test_tag_untag_and_list_in_pages(iam, keyward, name, kind):
    target = make(iam, keyward, kind, name)
    tag = getattr(iam, f"tag_{snake(kind)}")
    untag = getattr(iam, f"untag_{snake(kind)}")
    tags = [{"Key": f"k{i}", "Value": f"v{i}"} for i in range(5)]
    tag(**target, Tags=tags)
    tag(**target, Tags=[{"Key": "K0", "Value": "replaced"}])

    paginator = iam.get_paginator(f"list_{snake(kind)}_tags")
    pages = list(paginator.paginate(**target, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3 and pages[0]["IsTruncated"] and not pages[-1]["IsTruncated"]
    listed = [t for p in pages for t in p["Tags"]]
    assert {t["Key"]: t["Value"] for t in listed} == {
        "K0": "replaced", "k1": "v1", "k2": "v2", "k3": "v3", "k4": "v4"}, "keys ignore case"

    untag(**target, TagKeys=["k1", "k2", "absent"])
    rest = getattr(iam, f"list_{snake(kind)}_tags")(**target)["Tags"]
    assert sorted(t["Key"] for t in rest) == ["K0", "k3", "k4"]

    with pytest.raises(ClientError) as e:
        tag(**target, Tags=[{"Key": f"n{i}", "Value": ""} for i in range(48)])
    assert error_code(e) == "LimitExceeded", "at most 50 tags per resource"
    with pytest.raises(ClientError) as e:
        tag(**target, Tags=[{"Key": "aws:reserved", "Value": "x"}])
    assert error_code(e) == "InvalidInput"


@pytest.mark.parametrize("kind", ["User", "Policy", "MFADevice"])
def test_tags_of_missing_entities(iam, keyward, name, kind):
    target = {"User": {"UserName": name},
              "Policy": {"PolicyArn": f"arn:aws:iam::{keyward.account}:policy/{name}"},
              "MFADevice": {"SerialNumber": f"arn:aws:iam::{keyward.account}:mfa/{name}"}}[kind]
    for call in (lambda: getattr(iam, f"list_{snake(kind)}_tags")(**target),
                 lambda: getattr(iam, f"tag_{snake(kind)}")(**target, Tags=[{"Key": "a", "Value": "b"}])):
        with pytest.raises(ClientError) as e:
            call()
        assert error_code(e) == "NoSuchEntity"


def test_aws_managed_policies_cannot_be_tagged(iam):
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    with pytest.raises(ClientError):
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "a", "Value": "b"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == []


def test_untag_names_at_most_fifty_keys(keyward, name):
    unchecked = keyward.client(validate=False)
    unchecked.create_user(UserName=name)
    with pytest.raises(ClientError) as e:
        unchecked.untag_user(UserName=name, TagKeys=[f"k{i}" for i in range(51)])
    assert error_code(e) == "ValidationError"


def test_cli_pages_through_policy_tags(iam, keyward, name):
    arn = make(iam, keyward, "Policy", name)["PolicyArn"]
    keyward.cli("iam", "tag-policy", "--policy-arn", arn, "--tags",
                *[f"Key=k{i},Value=v{i}" for i in range(7)])
    out = json.loads(keyward.cli("iam", "list-policy-tags", "--policy-arn", arn, "--page-size", "3").stdout)
    assert [t["Key"] for t in out["Tags"]] == [f"k{i}" for i in range(7)], "the CLI follows the markers"
    keyward.cli("iam", "untag-policy", "--policy-arn", arn, "--tag-keys", "k0", "k6")
    out = json.loads(keyward.cli("iam", "list-policy-tags", "--policy-arn", arn).stdout)
    assert [t["Key"] for t in out["Tags"]] == [f"k{i}" for i in range(1, 6)]
