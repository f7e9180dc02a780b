"""Several accounts on one server: `keyward account create`, and isolation between accounts."""
import pytest
from botocore.exceptions import ClientError


def test_a_second_account_is_isolated_from_the_first(iam, keyward, name):
    account, key, secret = keyward.create_account()
    assert account != keyward.account and len(account) == 12
    other = keyward.client(key=key, secret=secret)
    assert other.get_user()["User"]["Arn"] == f"arn:aws:iam::{account}:user/admin"

    iam.create_user(UserName=name)
    other.create_user(UserName=name)  # the same name in another account is another user
    mine = {u["UserName"]: u["Arn"] for u in iam.list_users()["Users"]}
    theirs = {u["UserName"]: u["Arn"] for u in other.list_users()["Users"]}
    assert mine[name] != theirs[name]
    assert all(f":{account}:" in arn for arn in theirs.values())
    assert all(f":{keyward.account}:" in arn for arn in mine.values())

    other.create_group(GroupName=name + "-only-there")
    with pytest.raises(ClientError) as e:
        iam.get_group(GroupName=name + "-only-there")
    assert e.value.response["Error"]["Code"] == "NoSuchEntity"
    assert "AdministratorAccess" in [p["PolicyName"] for p in other.list_policies(Scope="AWS")["Policies"]]


def test_an_aws_managed_policys_counts_are_the_accounts_own(iam, keyward, name):
    """AttachmentCount and PermissionsBoundaryUsageCount of an AWS-managed policy count only
    the caller's account: how another account uses it is not this one's to see."""
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    account, key, secret = keyward.create_account()
    other = keyward.client(key=key, secret=secret)

    def counts(client):
        p = client.get_policy(PolicyArn=arn)["Policy"]
        listed = next(x for x in client.list_policies(Scope="AWS")["Policies"] if x["Arn"] == arn)
        assert listed["AttachmentCount"] == p["AttachmentCount"]
        return p["AttachmentCount"], p["PermissionsBoundaryUsageCount"]

    mine = counts(iam)
    other.create_user(UserName=name)
    other.attach_user_policy(UserName=name, PolicyArn=arn)
    other.put_user_permissions_boundary(UserName=name, PermissionsBoundary=arn)
    assert counts(other) == (1, 1)
    assert counts(iam) == mine, "another account's use is not counted here"
