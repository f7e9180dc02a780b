"""IAM's policy simulator, and that its answers match what real calls get."""
import json

import pytest
from botocore.exceptions import ClientError

READ_OWN = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Own", "Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/${aws:username}"},
    {"Sid": "Tagged", "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}},
    {"Sid": "NoDelete", "Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}]}


def results(response):
    """Each action's result, with its resources' own results by ARN: IAM's current shape, one
    EvaluationResult per action however many resources were simulated."""
    out = {}
    for r in response["EvaluationResults"]:
        per = {s["EvalResourceName"]: s for s in r.get("ResourceSpecificResults", [])}
        out[r["EvalActionName"]] = (r, per)
    return out


def test_simulate_custom_policy(iam):
    out = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(READ_OWN)],
        ActionNames=["iam:ListUsers", "iam:DeleteUser", "s3:GetObject"],
        ContextEntries=[{"ContextKeyName": "aws:PrincipalTag/team", "ContextKeyValues": ["blue"],
                         "ContextKeyType": "string"}])
    by_action = {r["EvalActionName"]: r for r in out["EvaluationResults"]}
    assert by_action["iam:ListUsers"]["EvalDecision"] == "allowed"
    assert by_action["iam:ListUsers"]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    assert by_action["iam:DeleteUser"]["EvalDecision"] == "explicitDeny"
    assert by_action["s3:GetObject"]["EvalDecision"] == "implicitDeny"

    missing = iam.simulate_custom_policy(PolicyInputList=[json.dumps(READ_OWN)], ActionNames=["iam:ListUsers"])
    result = missing["EvaluationResults"][0]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["MissingContextValues"] == ["aws:PrincipalTag/team"]

    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=["{"], ActionNames=["iam:ListUsers"])
    assert e.value.response["Error"]["Code"] == "MalformedPolicyDocument"


def test_context_keys(iam, name):
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[json.dumps(READ_OWN)])["ContextKeyNames"]
    assert keys == ["aws:PrincipalTag/team"]
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(READ_OWN))
    arn = iam.get_user(UserName=name)["User"]["Arn"]
    assert iam.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"] == ["aws:PrincipalTag/team"]


def test_simulate_principal_policy_matches_real_calls(iam, keyward, name):
    iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}])
    iam.put_user_policy(UserName=name, PolicyName="ReadOwn", PolicyDocument=json.dumps(READ_OWN))
    user_arn = iam.get_user(UserName=name)["User"]["Arn"]
    admin_arn = iam.get_user(UserName="admin")["User"]["Arn"]
    out = iam.simulate_principal_policy(
        PolicySourceArn=user_arn,
        ActionNames=["iam:GetUser", "iam:ListUsers", "iam:DeleteUser"],
        ResourceArns=[user_arn, admin_arn])
    assert len(out["EvaluationResults"]) == 3, "one result per action, not per resource"
    r = results(out)
    get, get_per = r["iam:GetUser"]
    # Allowed on the user's own ARN, not on admin's: the most restrictive decision is on top.
    assert get["EvalDecision"] == "implicitDeny"
    assert "EvalResourceName" not in get, "two resources: the top names none of them"
    assert get_per[user_arn]["EvalResourceDecision"] == "allowed"
    assert get_per[user_arn]["MatchedStatements"] == [{"SourcePolicyId": "ReadOwn", "SourcePolicyType": "user"}]
    assert get_per[admin_arn]["EvalResourceDecision"] == "implicitDeny"
    assert [s["EvalResourceName"] for s in get["ResourceSpecificResults"]] == [user_arn, admin_arn]
    listing, listing_per = r["iam:ListUsers"]
    assert listing["EvalDecision"] == "allowed", "the user's own tags are its principal tags"
    assert {d["EvalResourceDecision"] for d in listing_per.values()} == {"allowed"}
    delete, delete_per = r["iam:DeleteUser"]
    assert delete["EvalDecision"] == "explicitDeny"
    assert delete["MatchedStatements"] == [{"SourcePolicyId": "ReadOwn", "SourcePolicyType": "user"}]
    assert delete_per[admin_arn]["EvalResourceDecision"] == "explicitDeny"

    one = iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=["iam:GetUser"],
                                        ResourceArns=[user_arn])["EvaluationResults"]
    assert one[0]["EvalResourceName"] == user_arn and one[0]["EvalDecision"] == "allowed"
    anywhere = iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=["iam:ListUsers"])
    assert anywhere["EvaluationResults"][0]["EvalResourceName"] == "*"
    assert "ResourceSpecificResults" not in anywhere["EvaluationResults"][0]

    key = iam.create_access_key(UserName=name)["AccessKey"]
    me = keyward.client(key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    me.get_user(UserName=name)
    me.list_users()
    with pytest.raises(ClientError):
        me.get_user(UserName="admin")

    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    bounded = results(iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=["iam:GetUser", "iam:CreateUser"],
                                                    ResourceArns=[user_arn]))
    get, get_per = bounded["iam:GetUser"]
    assert get["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"]
    assert get_per[user_arn]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"]
    assert not bounded["iam:CreateUser"][0]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"]


def test_results_come_in_pages_that_together_hold_every_action(iam):
    """MaxItems and Marker page the results (one per action) as IAM's List* actions do;
    botocore's paginator for SimulateCustomPolicy follows the markers."""
    actions = [f"s3:Action{i}" for i in range(13)]
    resources = [f"arn:aws:s3:::bucket{i}" for i in range(3)]
    allow_all = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    ask = dict(PolicyInputList=[allow_all], ActionNames=actions, ResourceArns=resources)
    first = iam.simulate_custom_policy(MaxItems=5, **ask)
    assert len(first["EvaluationResults"]) == 5 and first["IsTruncated"] is True
    seen, marker = list(first["EvaluationResults"]), first["Marker"]
    while marker:
        page = iam.simulate_custom_policy(MaxItems=5, Marker=marker, **ask)
        assert 0 < len(page["EvaluationResults"]) <= 5
        seen += page["EvaluationResults"]
        marker = page.get("Marker")
        assert page["IsTruncated"] is (marker is not None)
    assert [r["EvalActionName"] for r in seen] == actions
    for r in seen:
        assert [s["EvalResourceName"] for s in r["ResourceSpecificResults"]] == resources
    paged = [r for page in iam.get_paginator("simulate_custom_policy").paginate(
        PaginationConfig={"PageSize": 4}, **ask) for r in page["EvaluationResults"]]
    assert [r["EvalActionName"] for r in paged] == actions
    whole = iam.simulate_custom_policy(**ask)
    assert len(whole["EvaluationResults"]) == 13 and whole["IsTruncated"] is False
    assert "Marker" not in whole
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(Marker="bm90IGEgbWFya2Vy", **ask)
    assert e.value.response["Error"]["Code"] == "ValidationError"


def test_oversized_simulations_are_refused(iam):
    allow_all = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=[allow_all], ActionNames=["s3:GetObject"] * 1001)
    assert e.value.response["Error"]["Code"] == "InvalidInput"
    assert "ActionNames" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=[allow_all], ActionNames=["s3:GetObject"] * 200,
                                   ResourceArns=["arn:aws:s3:::b"] * 200)
    assert e.value.response["Error"]["Code"] == "InvalidInput"
    with pytest.raises(ClientError) as e:
        iam.simulate_custom_policy(PolicyInputList=[allow_all], ActionNames=["s3:GetObject"],
                                   PermissionsBoundaryPolicyInputList=[allow_all, allow_all])
    assert e.value.response["Error"]["Code"] == "InvalidInput"
