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


def test_credential_report(iam, keyward, name):
    import csv
    import io
    iam.create_user(UserName=name + ",comma")
    iam.create_login_profile(UserName=name + ",comma", Password="Report-Horse-1")
    key = iam.create_access_key(UserName=name + ",comma")["AccessKey"]
    with pytest.raises(ClientError):  # denied, but the key was used
        keyward.client(key=key["AccessKeyId"], secret=key["SecretAccessKey"]).get_user()
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    rows = {r["user"]: r for r in csv.DictReader(io.StringIO(report["Content"].decode()))}
    assert rows["<root_account>"]["arn"] == f"arn:aws:iam::{keyward.account}:root"
    me = rows[name + ",comma"]
    assert me["password_enabled"] == "true" and me["access_key_1_active"] == "true"
    assert me["access_key_1_last_used_service"] == "iam" and me["access_key_2_active"] == "false"
    assert rows["admin"]["password_enabled"] == "false"


def test_account_authorization_details(iam, name):
    import json as _json
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.create_user(UserName=name)
    iam.create_group(GroupName=name)
    iam.add_user_to_group(GroupName=name, UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=_json.dumps(doc))
    iam.attach_group_policy(GroupName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    details = iam.get_account_authorization_details(Filter=["User", "Group"])
    me = next(u for u in details["UserDetailList"] if u["UserName"] == name)
    assert me["GroupList"] == [name]
    assert me["UserPolicyList"] == [{"PolicyName": "inline", "PolicyDocument": doc}]
    group = next(g for g in details["GroupDetailList"] if g["GroupName"] == name)
    assert group["AttachedManagedPolicies"][0]["PolicyArn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert details["Policies"] == [] and details["RoleDetailList"] == []
    aws = iam.get_account_authorization_details(Filter=["AWSManagedPolicy"])["Policies"]
    admin = next(p for p in aws if p["PolicyName"] == "AdministratorAccess")
    assert admin["PolicyVersionList"][0]["Document"]["Statement"][0]["Action"] == "*"
