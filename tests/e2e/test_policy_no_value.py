"""A Deny that compares a key against a policy variable with no value applies, as on AWS.

IAM User Guide, "Policy variables with no value"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value):
"Inverted condition operators like StringNotEquals or StringNotLike do match against a null value",
and its example's "Access is explicitly denied when aws:principaltag/Team is not set".
Checked with signed boto3 calls and with the simulator; and policy documents with a repeated key
are refused with MalformedPolicyDocument.
"""
import json

import pytest
from botocore.exceptions import ClientError

GUARDRAIL = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"},
    {"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*",
     "Condition": {"StringNotEquals": {"aws:RequestedRegion": "${aws:PrincipalTag/region}"}}}]}


def user_client(keyward, iam, name, policy):
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="guardrail", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return keyward.client(key=key["AccessKeyId"], secret=key["SecretAccessKey"])


def code(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"]


def test_untagged_caller_is_denied_until_the_tag_matches(keyward, iam, name):
    me = user_client(keyward, iam, name, GUARDRAIL)
    assert code(me.list_users) == "AccessDenied"
    iam.tag_user(UserName=name, Tags=[{"Key": "region", "Value": "eu-west-1"}])
    assert code(me.list_users) == "AccessDenied"
    # The clients sign for us-east-1, which is the region IAM requests carry.
    iam.tag_user(UserName=name, Tags=[{"Key": "region", "Value": "us-east-1"}])
    me.list_users()
    iam.untag_user(UserName=name, TagKeys=["region"])
    assert code(me.list_users) == "AccessDenied"


def test_a_default_value_applies_before_the_null_rule(keyward, iam, name):
    policy = json.loads(json.dumps(GUARDRAIL))
    policy["Statement"][1]["Condition"]["StringNotEquals"]["aws:RequestedRegion"] = \
        "${aws:PrincipalTag/region, 'us-east-1'}"
    me = user_client(keyward, iam, name, policy)
    me.list_users()


def test_unset_variable_in_not_resource_of_a_deny_excludes_nothing(keyward, iam, name):
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:GetUser",
         "NotResource": "arn:aws:iam::*:user/${aws:PrincipalTag/buddy}"}]}
    me = user_client(keyward, iam, name, policy)
    assert code(lambda: me.get_user(UserName=name)) == "AccessDenied"
    iam.tag_user(UserName=name, Tags=[{"Key": "buddy", "Value": name}])
    assert me.get_user(UserName=name)["User"]["UserName"] == name


def test_simulator_agrees(iam, name):
    def decision(context):
        out = iam.simulate_custom_policy(PolicyInputList=[json.dumps(GUARDRAIL)],
                                         ActionNames=["iam:ListUsers"], ContextEntries=context)
        return out["EvaluationResults"][0]["EvalDecision"]

    region = {"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["us-east-1"],
              "ContextKeyType": "string"}
    tag = {"ContextKeyName": "aws:PrincipalTag/region", "ContextKeyValues": ["us-east-1"],
           "ContextKeyType": "string"}
    assert decision([region]) == "explicitDeny"
    assert decision([]) == "explicitDeny"
    assert decision([region, tag]) == "allowed"

    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="guardrail", PolicyDocument=json.dumps(GUARDRAIL))
    arn = iam.get_user(UserName=name)["User"]["Arn"]
    out = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["iam:ListUsers"],
                                        ContextEntries=[region])
    assert out["EvaluationResults"][0]["EvalDecision"] == "explicitDeny"


DUPLICATES = [
    '{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*","Effect":"Allow"}}',
    '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*",'
    '"Condition":{"Bool":{"aws:SecureTransport":"true"}},"Condition":{}}}',
    '{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*",'
    '"Condition":{"StringEquals":{"aws:username":"a","aws:username":"b"}}}}',
]


@pytest.mark.parametrize("document", DUPLICATES)
def test_repeated_keys_are_malformed(keyward, iam, name, document):
    assert code(lambda: iam.create_policy(PolicyName=name, PolicyDocument=document)) == "MalformedPolicyDocument"
    iam.create_user(UserName=name)
    assert code(lambda: iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=document)) \
        == "MalformedPolicyDocument"
    assert code(lambda: iam.simulate_custom_policy(PolicyInputList=[document], ActionNames=["iam:ListUsers"])) \
        == "MalformedPolicyDocument"
    trust = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "*"},
                                                   "Action": "sts:AssumeRole"}}
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    sts = keyward.client("sts")
    assert code(lambda: sts.assume_role(RoleArn=role, RoleSessionName="dup-session", Policy=document)) \
        == "MalformedPolicyDocument"
