"""Login profiles, the account password policy and ChangePassword."""
import time

import pytest
from botocore.exceptions import ClientError


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def policy(iam):
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True, RequireNumbers=True,
                                       RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
                                       AllowUsersToChangePassword=True, PasswordReusePrevention=2, MaxPasswordAge=90)
    yield
    iam.delete_account_password_policy()


def test_password_policy_round_trip(iam, policy):
    got = iam.get_account_password_policy()["PasswordPolicy"]
    assert got["MinimumPasswordLength"] == 12 and got["RequireSymbols"] and got["AllowUsersToChangePassword"]
    assert got["ExpirePasswords"] and got["MaxPasswordAge"] == 90 and got["PasswordReusePrevention"] == 2


def test_no_policy_is_no_such_entity(iam):
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert error_code(e) == "NoSuchEntity"


def test_login_profiles_follow_the_policy(iam, keyward, name, policy):
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=name, Password="short1!A")
    assert error_code(e) == "PasswordPolicyViolation"
    assert "at least 12 characters" in e.value.response["Error"]["Message"]
    created = iam.create_login_profile(UserName=name, Password="Correct-Horse-1", PasswordResetRequired=True)
    assert created["LoginProfile"]["PasswordResetRequired"] is True
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=name, Password="Correct-Horse-2")
    assert error_code(e) == "EntityAlreadyExists"
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["UserName"] == name

    key = iam.create_access_key(UserName=name)["AccessKey"]
    me = keyward.client(key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        me.change_password(OldPassword="wrong-Password-1", NewPassword="Another-Horse-2")
    assert error_code(e) == "InvalidInput"
    me.change_password(OldPassword="Correct-Horse-1", NewPassword="Another-Horse-2")
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
    with pytest.raises(ClientError) as e:
        me.change_password(OldPassword="Another-Horse-2", NewPassword="Correct-Horse-1")
    assert error_code(e) == "PasswordPolicyViolation", "reuse of the last two passwords is refused"
    me.change_password(OldPassword="Another-Horse-2", NewPassword="Third-Horse-33")

    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=name)
    assert error_code(e) == "DeleteConflict"
    iam.delete_login_profile(UserName=name)
    with pytest.raises(ClientError) as e:
        iam.get_login_profile(UserName=name)
    assert error_code(e) == "NoSuchEntity"


def test_default_policy_applies_without_an_account_policy(iam, name):
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName=name, Password="alllowercase")
    assert error_code(e) == "PasswordPolicyViolation"
    iam.create_login_profile(UserName=name, Password="Mixed-case-9")


def test_change_password_guesses_of_the_old_password_are_throttled(iam, keyward, name):
    """ChangePassword's old password is checked like a sign-in: a burst of wrong guesses
    meets the throttle, and then even the right password is turned away for a while."""
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Correct-Horse-1")
    iam.put_user_policy(UserName=name, PolicyName="own", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ChangePassword",'
        f'"Resource":"arn:aws:iam::{keyward.account}:user/{name}"}}]}}'))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    me = keyward.client(key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    codes = []
    for i in range(12):
        with pytest.raises(ClientError) as e:
            me.change_password(OldPassword=f"wrong-Password-{i}", NewPassword="Another-Horse-2")
        codes.append(error_code(e))
    # Three free failures and the one that starts the delay are checked; then each guess waits
    # its turn (a second, two, four, ...), so a quick burst meets the throttle, never getting
    # more than the lockout's ten checked. (Exact counts depend on how long each check takes on
    # this machine, so only these bounds are asserted.)
    assert codes[:4] == ["InvalidInput"] * 4, codes
    assert "Throttling" in codes[4:], codes
    assert codes.count("InvalidInput") <= 10, codes
    # Once the delay has run out, one more wrong guess is checked, and its longer delay starts
    # when it has proved wrong: the right password sent at once is turned away.
    for _ in range(200):
        with pytest.raises(ClientError) as e:
            me.change_password(OldPassword="wrong-Password-again", NewPassword="Another-Horse-2")
        if error_code(e) == "InvalidInput":
            break
        time.sleep(0.1)
    assert error_code(e) == "InvalidInput", "the delay never ran out"
    with pytest.raises(ClientError) as e:
        me.change_password(OldPassword="Correct-Horse-1", NewPassword="Another-Horse-2")
    assert error_code(e) == "Throttling"
