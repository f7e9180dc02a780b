"""Users, groups and tags through boto3, as an administrator and as delegates."""
import json

import pytest
from botocore.exceptions import ClientError


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_user_lifecycle(iam, keyward, name):
    created = iam.create_user(UserName=name, Path="/team/", Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert created["Arn"] == f"arn:aws:iam::{keyward.account}:user/team/{name}"
    assert created["UserId"].startswith("AIDA") and len(created["UserId"]) == 21

    got = iam.get_user(UserName=name.upper())["User"]
    assert got["UserName"] == name and got["Tags"] == [{"Key": "team", "Value": "blue"}]

    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=name.upper())
    assert error_code(e) == "EntityAlreadyExists"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409

    iam.update_user(UserName=name, NewUserName=name + "x", NewPath="/other/")
    assert iam.get_user(UserName=name + "x")["User"]["Path"] == "/other/"
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=name)
    assert error_code(e) == "NoSuchEntity"
    assert e.value.response["Error"]["Message"] == f"The user with name {name} cannot be found."

    iam.tag_user(UserName=name + "x", Tags=[{"Key": "env", "Value": "prod"}, {"Key": "TEAM", "Value": "red"}])
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=name + "x")["Tags"]}
    assert tags == {"env": "prod", "TEAM": "red"}, "a key differing only in case replaces the old one"
    iam.untag_user(UserName=name + "x", TagKeys=["env"])
    assert [t["Key"] for t in iam.list_user_tags(UserName=name + "x")["Tags"]] == ["TEAM"]

    iam.delete_user(UserName=name + "x")
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=name + "x")
    assert error_code(e) == "NoSuchEntity"


def test_invalid_names_and_paths_are_validation_errors(iam):
    for kwargs in ({"UserName": "has space"}, {"UserName": "x" * 65}, {"UserName": "ok", "Path": "no-slash"}):
        with pytest.raises(ClientError) as e:
            iam.create_user(**kwargs)
        assert error_code(e) == "ValidationError", kwargs


def test_listing_pages_with_markers_and_path_prefix(iam, name):
    for i in range(5):
        iam.create_user(UserName=f"{name}-{i}", Path=f"/{name}/")
    first = iam.list_users(PathPrefix=f"/{name}/", MaxItems=2)
    assert first["IsTruncated"] and len(first["Users"]) == 2 and first["Marker"]
    paginator = iam.get_paginator("list_users")
    seen = [u["UserName"] for page in paginator.paginate(PathPrefix=f"/{name}/", PaginationConfig={"PageSize": 2})
            for u in page["Users"]]
    assert seen == [f"{name}-{i}" for i in range(5)]
    everyone = [u["UserName"] for page in paginator.paginate() for u in page["Users"]]
    assert "admin" in everyone and len(everyone) == len(set(everyone))


def test_delete_user_conflicts_until_everything_is_removed(iam, name):
    iam.create_user(UserName=name)
    iam.create_group(GroupName=name)
    iam.add_user_to_group(GroupName=name, UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=
                        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}')
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    steps = [
        lambda: iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"]),
        lambda: iam.delete_user_policy(UserName=name, PolicyName="p"),
        lambda: iam.detach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"),
        lambda: iam.remove_user_from_group(GroupName=name, UserName=name),
    ]
    for step in steps:
        with pytest.raises(ClientError) as e:
            iam.delete_user(UserName=name)
        assert error_code(e) == "DeleteConflict"
        step()
    iam.delete_user(UserName=name)
    iam.delete_group(GroupName=name)


def test_groups_and_membership(iam, name):
    group = iam.create_group(GroupName=name)["Group"]
    assert group["GroupId"].startswith("AGPA")
    for i in range(3):
        iam.create_user(UserName=f"{name}-{i}")
        iam.add_user_to_group(GroupName=name, UserName=f"{name}-{i}")
    got = iam.get_group(GroupName=name)
    assert [u["UserName"] for u in got["Users"]] == [f"{name}-{i}" for i in range(3)]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=f"{name}-0")["Groups"]] == [name]
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName=name)
    assert error_code(e) == "DeleteConflict"
    with pytest.raises(ClientError) as e:
        iam.create_group(GroupName=name.upper())
    assert error_code(e) == "EntityAlreadyExists"
    iam.update_group(GroupName=name, NewGroupName=name + "2")
    for i in range(3):
        iam.remove_user_from_group(GroupName=name + "2", UserName=f"{name}-{i}")
    with pytest.raises(ClientError) as e:
        iam.remove_user_from_group(GroupName=name + "2", UserName=f"{name}-0")
    assert error_code(e) == "NoSuchEntity"
    iam.delete_group(GroupName=name + "2")
    assert name + "2" not in [g["GroupName"] for g in iam.list_groups()["Groups"]]


def test_a_user_joins_at_most_ten_groups(iam, name):
    iam.create_user(UserName=name)
    for i in range(11):
        iam.create_group(GroupName=f"{name}-{i}")
    for i in range(10):
        iam.add_user_to_group(GroupName=f"{name}-{i}", UserName=name)
    with pytest.raises(ClientError) as e:
        iam.add_user_to_group(GroupName=f"{name}-10", UserName=name)
    assert error_code(e) == "LimitExceeded"


def test_the_root_login_is_no_user_name(iam, name):
    """The portal signs `root` in as the account's root user: no user may be created with that
    name or renamed to it, in any case, and a refused call writes nothing."""
    for reserved in ("root", "Root", "ROOT"):
        with pytest.raises(ClientError) as e:
            iam.create_user(UserName=reserved)
        assert error_code(e) == "InvalidInput", reserved
        assert "reserved" in e.value.response["Error"]["Message"]
        with pytest.raises(ClientError) as e:
            iam.get_user(UserName=reserved)
        assert error_code(e) == "NoSuchEntity", "nothing was created"

    iam.create_user(UserName=name, Path="/team/")
    with pytest.raises(ClientError) as e:
        iam.update_user(UserName=name, NewUserName="ROOT", NewPath="/admins/")
    assert error_code(e) == "InvalidInput"
    assert "reserved" in e.value.response["Error"]["Message"]
    user = iam.get_user(UserName=name)["User"]
    assert (user["UserName"], user["Path"]) == (name, "/team/"), "nothing was changed"
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName="root")
    assert error_code(e) == "NoSuchEntity"
    # Names that only contain the login are ordinary names.
    iam.update_user(UserName=name, NewUserName=name + "-root")
    iam.delete_user(UserName=name + "-root")


def delegate(iam, keyward, name, *statements):
    """A user allowed `statements` only, and an IAM client signed with its key."""
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="delegated", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": list(statements)}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return keyward.client(key=key["AccessKeyId"], secret=key["SecretAccessKey"])


def assert_denied_on(excinfo, action, arn):
    assert error_code(excinfo) == "AccessDenied"
    message = excinfo.value.response["Error"]["Message"]
    assert f"is not authorized to perform: {action} on resource: {arn}" in message, message


def test_renaming_and_moving_needs_permission_on_the_new_arn_too(iam, keyward, name):
    account = keyward.account
    team = delegate(iam, keyward, name + "-admin", {
        "Effect": "Allow", "Action": ["iam:UpdateUser", "iam:UpdateGroup"],
        "Resource": [f"arn:aws:iam::{account}:user/team/*", f"arn:aws:iam::{account}:group/team/*"]})
    iam.create_user(UserName=name, Path="/team/")
    iam.create_group(GroupName=name, Path="/team/")

    # Within its path the delegate renames freely.
    team.update_user(UserName=name, NewUserName=name + "-b")
    team.update_group(GroupName=name, NewGroupName=name + "-b")

    # Out of it, neither a move nor a rename-and-move: refused on the new ARN.
    with pytest.raises(ClientError) as e:
        team.update_user(UserName=name + "-b", NewPath="/admins/")
    assert_denied_on(e, "iam:UpdateUser", f"arn:aws:iam::{account}:user/admins/{name}-b")
    with pytest.raises(ClientError) as e:
        team.update_user(UserName=name + "-b", NewUserName=name + "-c", NewPath="/admins/")
    assert_denied_on(e, "iam:UpdateUser", f"arn:aws:iam::{account}:user/admins/{name}-c")
    with pytest.raises(ClientError) as e:
        team.update_group(GroupName=name + "-b", NewPath="/admins/")
    assert_denied_on(e, "iam:UpdateGroup", f"arn:aws:iam::{account}:group/admins/{name}-b")
    with pytest.raises(ClientError) as e:
        team.update_group(GroupName=name + "-b", NewGroupName=name + "-c", NewPath="/admins/")
    assert_denied_on(e, "iam:UpdateGroup", f"arn:aws:iam::{account}:group/admins/{name}-c")
    assert iam.get_user(UserName=name + "-b")["User"]["Path"] == "/team/", "nothing moved"
    assert iam.get_group(GroupName=name + "-b")["Group"]["Path"] == "/team/", "nothing moved"

    # Outside its path the delegate may not even start: the source is checked as before.
    iam.create_user(UserName=name + "-out", Path="/admins/")
    with pytest.raises(ClientError) as e:
        team.update_user(UserName=name + "-out", NewPath="/team/")
    assert_denied_on(e, "iam:UpdateUser", f"arn:aws:iam::{account}:user/admins/{name}-out")
    assert iam.get_user(UserName=name + "-out")["User"]["Path"] == "/admins/"


def test_tags_on_create_need_the_tag_permission(iam, keyward, name):
    account = keyward.account
    creator = delegate(iam, keyward, name + "-creator", {
        "Effect": "Allow", "Action": ["iam:CreateUser", "iam:CreateRole", "iam:CreatePolicy"], "Resource": "*"})
    tags = [{"Key": "team", "Value": "admins"}]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": account}, "Action": "sts:AssumeRole"}]})
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})

    with pytest.raises(ClientError) as e:
        creator.create_user(UserName=name, Path="/team/", Tags=tags)
    assert_denied_on(e, "iam:TagUser", f"arn:aws:iam::{account}:user/team/{name}")
    with pytest.raises(ClientError) as e:
        creator.create_role(RoleName=name, AssumeRolePolicyDocument=trust, Tags=tags)
    assert_denied_on(e, "iam:TagRole", f"arn:aws:iam::{account}:role/{name}")
    with pytest.raises(ClientError) as e:
        creator.create_policy(PolicyName=name, PolicyDocument=document, Tags=tags)
    assert_denied_on(e, "iam:TagPolicy", f"arn:aws:iam::{account}:policy/{name}")
    for get in (lambda: iam.get_user(UserName=name), lambda: iam.get_role(RoleName=name),
                lambda: iam.get_policy(PolicyArn=f"arn:aws:iam::{account}:policy/{name}")):
        with pytest.raises(ClientError) as e:
            get()
        assert error_code(e) == "NoSuchEntity", "a refused create creates nothing"

    # Without tags, creating is enough.
    creator.create_user(UserName=name, Path="/team/")
    creator.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    creator.create_policy(PolicyName=name, PolicyDocument=document)

    # With the tag permission, tags may be given at creation.
    iam.put_user_policy(UserName=name + "-creator", PolicyName="tagging", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:TagUser", "Resource": f"arn:aws:iam::{account}:user/team/*"}]}))
    creator.create_user(UserName=name + "-2", Path="/team/", Tags=tags)
    assert iam.get_user(UserName=name + "-2")["User"]["Tags"] == tags
