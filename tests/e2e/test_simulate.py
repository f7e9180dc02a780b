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
    return {(r["EvalActionName"], r["EvalResourceName"]): r for r in response["EvaluationResults"]}


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
    r = results(out)
    assert r[("iam:GetUser", user_arn)]["EvalDecision"] == "allowed"
    assert r[("iam:GetUser", user_arn)]["MatchedStatements"] == [{"SourcePolicyId": "ReadOwn", "SourcePolicyType": "user"}]
    assert r[("iam:GetUser", admin_arn)]["EvalDecision"] == "implicitDeny"
    assert r[("iam:ListUsers", user_arn)]["EvalDecision"] == "allowed", "the user's own tags are its principal tags"
    assert r[("iam:DeleteUser", admin_arn)]["EvalDecision"] == "explicitDeny"
    assert r[("iam:GetUser", admin_arn)]["ResourceSpecificResults"][0]["EvalResourceDecision"] == "implicitDeny"

    key = iam.create_access_key(UserName=name)["AccessKey"]
    me = keyward.client(key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    me.get_user(UserName=name)
    me.list_users()
    with pytest.raises(ClientError):
        me.get_user(UserName="admin")

    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    bounded = results(iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=["iam:GetUser", "iam:CreateUser"],
                                                    ResourceArns=[user_arn]))
    assert bounded[("iam:GetUser", user_arn)]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"]
    assert not bounded[("iam:CreateUser", user_arn)]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"]
