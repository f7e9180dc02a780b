"""Instance profiles, OpenID Connect providers, the account alias and summary."""
import json

import pytest
from botocore.exceptions import ClientError

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_instance_profiles_hold_one_role(iam, keyward, name):
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    iam.create_role(RoleName=name + "b", AssumeRolePolicyDocument=TRUST)
    profile = iam.create_instance_profile(InstanceProfileName=name, Path="/ec2/")["InstanceProfile"]
    assert profile["Arn"] == f"arn:aws:iam::{keyward.account}:instance-profile/ec2/{name}"
    assert profile["InstanceProfileId"].startswith("AIPA") and profile["Roles"] == []
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    with pytest.raises(ClientError) as e:
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name + "b")
    assert error_code(e) == "LimitExceeded"
    got = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == [name]
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]] == [name]
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=name)
    assert error_code(e) == "DeleteConflict"
    with pytest.raises(ClientError) as e:
        iam.delete_instance_profile(InstanceProfileName=name)
    assert error_code(e) == "DeleteConflict"
    iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=name)
    iam.delete_instance_profile(InstanceProfileName=name)
    assert name not in [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]]
    iam.delete_role(RoleName=name)


def test_openid_connect_providers(iam, keyward, name):
    url = f"https://{name}.example.com/issuer"
    arn = iam.create_open_id_connect_provider(Url=url, ClientIDList=["app-1"],
                                              ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{keyward.account}:oidc-provider/{name}.example.com/issuer"
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url=url, ClientIDList=["x"], ThumbprintList=["b" * 40])
    assert error_code(e) == "EntityAlreadyExists"
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app-2")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app-1")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["c" * 40])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == f"{name}.example.com/issuer"
    assert got["ClientIDList"] == ["app-2"] and got["ThumbprintList"] == ["c" * 40]
    assert arn in [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    with pytest.raises(ClientError) as e:
        keyward.client(validate=False).create_open_id_connect_provider(
            Url="http://insecure.example.com", ClientIDList=["x"], ThumbprintList=["d" * 40])
    assert error_code(e) == "ValidationError"
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error_code(e) == "NoSuchEntity"


def test_alias_and_summary(iam, name):
    alias = "acme-" + name
    iam.create_account_alias(AccountAlias=alias)
    assert iam.list_account_aliases()["AccountAliases"] == [alias]
    with pytest.raises(ClientError) as e:
        iam.delete_account_alias(AccountAlias="other-" + name)
    assert error_code(e) == "NoSuchEntity"
    iam.delete_account_alias(AccountAlias=alias)
    assert iam.list_account_aliases()["AccountAliases"] == []
    with pytest.raises(ClientError) as e:
        iam.create_account_alias(AccountAlias="Bad_Alias")
    assert error_code(e) == "ValidationError"

    before = iam.get_account_summary()["SummaryMap"]
    iam.create_user(UserName=name)
    after = iam.get_account_summary()["SummaryMap"]
    assert after["Users"] == before["Users"] + 1
    assert after["UsersQuota"] == 5000 and after["GroupsQuota"] == 300 and after["VersionsPerPolicyQuota"] == 5
