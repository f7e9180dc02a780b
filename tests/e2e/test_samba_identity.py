"""STS AssumeRoleWithLDAPIdentity and the console's directory sign-in against a real Active
Directory: the run's Samba AD domain controller (tests/directories/samba.py), over LDAPS with
the run's CA, its people matched by sAMAccountName and their groups found through AD's in-chain
matching rule. A role trusts the group Ops, which alice is in only through Ops-Team.

Cases: credentials from the unsigned POST used by boto3; a wrong password and an unknown user
read the same; a disabled account, a password that must be changed and a locked-out account are
refused (and why is in the server's log), and a lockout that is over no longer is; nesting
grants the role, also to a person whose DN needs escaping; mapped attributes (mail,
displayName) reach the trust policy and the session's tags; an injection-shaped user name is
searched for as literal text; a person taken out of the group loses the role at the next
request; the console sign-in; the cost of one sign-in in LDAP operations (Keyward's counter),
and the connections many sign-ins at once share. The DC is shared by the whole run: nothing
here stops it, and what a test changes it puts back (the directory being down is OpenLDAP's
test)."""
import concurrent.futures
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import BIN, Keyward
from samba_fixture import samba_dc

NS = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
# Plain HTTP from loopback carries the password to Keyward only under the test setting.
# The loopback proxy is trusted so that the concurrency test can give each person an address of
# their own: sign-ins still being checked count against their address (the throttle), and the
# module's earlier refusals already count against 127.0.0.1.
SETTINGS = {"KEYWARD_ALLOW_PLAIN_LDAP": "true", "KEYWARD_LOG": "info",
            "KEYWARD_TRUSTED_PROXIES": "127.0.0.1"}
INCORRECT = "The directory did not accept the user name and password."


@pytest.fixture(scope="module")
def dc():
    return samba_dc()


@pytest.fixture(scope="module", params=["embedded", "postgres"])
def keyward(request, dc):
    """This module's server with the DC registered as directory `ad` and a role trusting Ops."""
    server = Keyward(request.param, settings=SETTINGS)
    password_file = os.path.join(server.dir, "directory-password")
    with open(password_file, "w") as f:
        f.write(dc.service_password + "\n")
    subprocess.run([BIN, "directory", "create", "ad", "--account", server.account,
                    "--url", dc.url, "--tls", "ldaps", "--ca-file", dc.ca_file,
                    "--bind-dn", dc.service_upn, "--bind-password-file", password_file,
                    "--base-dn", dc.base_dn, "--user-attribute", "sAMAccountName",
                    "--user-filter", "(&(objectCategory=person)(objectClass=user))",
                    "--groups", "nested", "--attribute", "email=mail", "--attribute", "name=displayName"],
                   env=server.env, check=True, capture_output=True, timeout=60)
    iam = server.client("iam")
    iam.create_role(RoleName="Operator", AssumeRolePolicyDocument=json.dumps(trust(server, {
        "ForAnyValue:StringEquals": {"ldap:groups": dc.groups["Ops"]}})))
    iam.attach_role_policy(RoleName="Operator", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    yield server
    server.stop(module=request.module.__name__)


def trust(server, condition):
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{server.account}:directory/ad"},
        "Action": ["sts:AssumeRoleWithLDAPIdentity", "sts:SetSourceIdentity", "sts:TagSession"],
        "Condition": condition,
    }]}


def assume(server, user, password, role="Operator", client=None):
    """The unsigned call as a script makes it (from `client`, a loopback address named through
    the trusted proxy header, when given): (HTTP status, parsed answer)."""
    form = urllib.parse.urlencode({
        "Action": "AssumeRoleWithLDAPIdentity", "Version": "2011-06-15",
        "RoleArn": f"arn:aws:iam::{server.account}:role/{role}",
        "LDAPUsername": user, "LDAPPassword": password}).encode()
    headers = {"X-Forwarded-For": client} if client else {}
    try:
        request = urllib.request.Request(server.url + "/", data=form, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, ET.fromstring(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, ET.fromstring(e.read())


def error_of(answer):
    return answer.find(".//s:Code", NS).text, answer.find(".//s:Message", NS).text


def credentials_of(answer):
    c = answer.find(".//s:Credentials", NS)
    return {"key": c.find("s:AccessKeyId", NS).text, "secret": c.find("s:SecretAccessKey", NS).text,
            "token": c.find("s:SessionToken", NS).text}


def server_log(server):
    with open(os.path.join(server.dir, "server.log")) as f:
        return f.read()


def test_a_nested_member_of_the_trusted_group_gets_credentials_that_boto3_uses(keyward, dc):
    status, answer = assume(keyward, "alice", dc.people["alice"])
    assert status == 200, ET.tostring(answer)
    result = answer.find(".//s:AssumeRoleWithLDAPIdentityResult", NS)
    arn = f"arn:aws:sts::{keyward.account}:assumed-role/Operator/alice"
    assert result.find("s:AssumedRoleUser/s:Arn", NS).text == arn
    assert result.find("s:SourceIdentity", NS).text == "alice"
    creds = credentials_of(answer)
    assert keyward.client("sts", **creds).get_caller_identity()["Arn"] == arn
    iam = keyward.client("iam", **creds)
    assert "Operator" in [r["RoleName"] for r in iam.list_roles()["Roles"]]
    with pytest.raises(ClientError) as denied:
        iam.create_user(UserName="from-active-directory")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    # AD matches sAMAccountName without regard to case; the session is named as AD spells it.
    status, answer = assume(keyward, "ALICE", dc.people["alice"])
    assert status == 200 and answer.find(".//s:AssumedRoleUser/s:Arn", NS).text == arn


def test_a_person_whose_dn_needs_escaping_is_found_in_the_nested_group(keyward, dc):
    # frank's DN is `CN=Frank (Ops)\, Jr.,CN=Users,...`: in the in-chain filter it is escaped.
    status, answer = assume(keyward, "frank", dc.people["frank"])
    assert status == 200, ET.tostring(answer)
    assert r"(&(objectCategory=group)(member:1.2.840.113556.1.4.1941:=CN=Frank \28Ops\29\5c, Jr.,CN=Users,DC=example,DC=test))" \
        in server_log(keyward)


def test_a_wrong_password_and_an_unknown_user_read_the_same(keyward, dc):
    wrong = assume(keyward, "bob", "not-his-password")
    unknown = assume(keyward, "nobody-here", "whatever")
    assert wrong[0] == unknown[0] == 403
    assert error_of(wrong[1]) == error_of(unknown[1]) == ("AccessDenied", INCORRECT)
    empty = assume(keyward, "bob", "")
    assert empty[0] == 403 and error_of(empty[1]) == error_of(wrong[1])
    log = server_log(keyward)
    # AD's answer to the wrong password: result 49, data 52e.
    assert "data 52e" in log
    assert r"(sAMAccountName=nobody-here)" in log


@pytest.mark.parametrize("user,reason", [
    ("erin", "the account is disabled"),
    ("dave", "the password has expired and must be changed"),
    ("carol", "the account is locked out"),
])
def test_disabled_expired_and_locked_accounts_are_refused_with_the_right_password(keyward, dc, user, reason):
    status, answer = assume(keyward, user, dc.people[user])
    assert status == 403 and error_of(answer) == ("AccessDenied", INCORRECT)
    # Keyward read why from the entry, before any bind as the person.
    assert reason in server_log(keyward)


def test_a_lockout_that_is_over_lets_the_person_in_again(keyward, dc):
    # AD keeps ivan's lockoutTime after his lockout's end, until he next signs in: only the
    # flags AD computes (msDS-User-Account-Control-Computed) say that he may.
    began = time.monotonic()
    dc.lock_out("ivan")
    status, answer = assume(keyward, "ivan", dc.people["ivan"])
    if time.monotonic() - began < dc.brief_lockout_seconds - 1:
        assert status == 403 and error_of(answer) == ("AccessDenied", INCORRECT)
    time.sleep(max(0.0, began + dc.brief_lockout_seconds + 1 - time.monotonic()))
    status, answer = assume(keyward, "ivan", dc.people["ivan"])
    assert status == 200, ET.tostring(answer)


def test_a_person_outside_the_trusted_group_is_refused_by_the_trust_policy(keyward, dc):
    status, answer = assume(keyward, "bob", dc.people["bob"])
    assert status == 403
    code, message = error_of(answer)
    assert code == "AccessDenied" and "sts:AssumeRoleWithLDAPIdentity" in message


def test_mapped_attributes_reach_the_trust_policy_and_the_session_tags(keyward, dc):
    iam = keyward.client("iam")
    iam.create_role(RoleName="Mailer", AssumeRolePolicyDocument=json.dumps(trust(keyward, {
        "StringEquals": {"ldap:email": dc.alice_mail, "ldap:name": dc.alice_display_name}})))
    # The session may list roles only while its `email` tag is alice's address.
    iam.put_role_policy(RoleName="Mailer", PolicyName="tagged", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/email": dc.alice_mail,
                                           "aws:PrincipalTag/name": dc.alice_display_name}}}]}))
    try:
        status, answer = assume(keyward, "alice", dc.people["alice"], role="Mailer")
        assert status == 200, ET.tostring(answer)
        keyward.client("iam", **credentials_of(answer)).list_roles()
        # frank has no mail: the trust policy's condition fails.
        status, answer = assume(keyward, "frank", dc.people["frank"], role="Mailer")
        assert status == 403 and error_of(answer)[0] == "AccessDenied"
    finally:
        iam.delete_role_policy(RoleName="Mailer", PolicyName="tagged")
        iam.delete_role(RoleName="Mailer")


def test_a_user_name_shaped_like_a_filter_is_searched_for_as_text(keyward, dc):
    injection = "x*)(sAMAccountName=*"
    status, answer = assume(keyward, injection, dc.people["alice"])
    assert status == 403 and error_of(answer) == ("AccessDenied", INCORRECT)
    status, answer = assume(keyward, "*", dc.people["alice"])
    assert status == 403 and error_of(answer) == ("AccessDenied", INCORRECT)
    log = server_log(keyward)
    assert r"(sAMAccountName=x\2a\29\28sAMAccountName=\2a)" in log
    assert r"(sAMAccountName=\2a)" in log
    assert "(sAMAccountName=*)" not in log


def test_a_person_taken_out_of_the_group_loses_the_role_at_the_next_request(keyward, dc):
    assert assume(keyward, "henry", dc.people["henry"])[0] == 200
    dc.remove_member("Ops-Team", "henry")
    try:
        status, answer = assume(keyward, "henry", dc.people["henry"])
        assert status == 403 and error_of(answer)[0] == "AccessDenied"
        assert "sts:AssumeRoleWithLDAPIdentity" in error_of(answer)[1]
    finally:
        dc.add_member("Ops-Team", "henry")
    assert assume(keyward, "henry", dc.people["henry"])[0] == 200


def operations(server):
    """Keyward's counter of LDAP operations, by kind."""
    text = requests.get(server.url + "/metrics", timeout=10).text
    return {m.group(1): float(m.group(2)) for m in re.finditer(
        r'^keyward_directory_operations_total\{operation="([a-z_]+)"\} (\S+)$', text, re.M)}


def test_one_sign_in_costs_one_bind_as_the_person_and_two_searches(keyward, dc):
    assert assume(keyward, "alice", dc.people["alice"])[0] == 200  # pools warm
    before = operations(keyward)
    assert assume(keyward, "alice", dc.people["alice"])[0] == 200
    after = operations(keyward)
    spent = {kind: after.get(kind, 0) - before.get(kind, 0) for kind in set(before) | set(after)}
    assert spent.get("user_bind", 0) == 1, spent
    assert spent.get("search", 0) == 2, spent
    assert spent.get("service_bind", 0) == 0 and spent.get("connect", 0) == 0, spent


def test_concurrent_sign_ins_share_at_most_four_connections_of_each_kind(keyward, dc):
    # 16 people at once, twice: a sign-in that finds the pool's connections all lent waits for
    # one rather than opening one more (each would cost the DC a TLS handshake and a bind).
    before = operations(keyward)
    people = [(user, password, f"127.0.1.{i + 1}")
              for i, (user, password) in enumerate(dc.load_people.items())]

    def sign_in(person):
        user, password, client = person
        status, answer = assume(keyward, user, password, client=client)
        return status, ET.tostring(answer)[:300]

    with concurrent.futures.ThreadPoolExecutor(len(people)) as pool:
        for _ in range(2):
            answers = list(pool.map(sign_in, people))
            assert [status for status, _ in answers] == [200] * len(people), answers
    after = operations(keyward)
    spent = {kind: after.get(kind, 0) - before.get(kind, 0) for kind in after}
    assert spent["user_bind"] == 2 * len(people) and spent["search"] == 4 * len(people), spent
    assert spent.get("connect", 0) <= 8 and spent.get("service_bind", 0) <= 4, spent


def form_value(html, name):
    marker = f'name="{name}" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def console_sign_in(server, user, password):
    """Signs `user` in through the account's directory link: the last answer."""
    browser = requests.Session()
    signin = browser.get(f"{server.url}/signin/{server.account}")
    link = f"/signin/directory/{server.account}/ad"
    assert f'href="{link}">Sign in with your directory account (ad)</a>' in signin.text
    page = browser.get(server.url + link)
    assert page.status_code == 200
    answer = browser.post(server.url + link, allow_redirects=False, data={
        "csrf_token": form_value(page.text, "csrf_token"), "username": user, "password": password})
    return browser, answer


def test_people_sign_in_to_the_console_with_their_active_directory_account(keyward, dc):
    browser, answer = console_sign_in(keyward, "alice", dc.people["alice"])
    assert answer.status_code == 303 and answer.headers["location"] == "/console", answer.text
    console = browser.get(keyward.url + "/console")
    arn = f"arn:aws:sts::{keyward.account}:assumed-role/Operator/alice"
    assert f'title="{arn}">alice</span>' in console.text
    _, wrong = console_sign_in(keyward, "alice", "not-her-password")
    _, unknown = console_sign_in(keyward, "nobody-here", "whatever")
    _, locked = console_sign_in(keyward, "carol", dc.people["carol"])
    for refused in (wrong, unknown, locked):
        assert refused.status_code == 401
        assert "Your authentication information is incorrect" in refused.text
        assert "keyward_session" not in refused.cookies
    _, none = console_sign_in(keyward, "bob", dc.people["bob"])
    assert none.status_code == 403 and "No role is available to you" in none.text
