"""STS AssumeRoleWithLDAPIdentity against a real OpenLDAP (ldap_fixture.py): the directory
registered with `keyward directory create`, a role whose trust policy names it and admits the
members of one group, and the unsigned call made as a script would (a plain POST), its
credentials then used by unmodified boto3. Refusals: a wrong password and an unknown user alike,
an empty password, a person the trust policy does not admit, an injection-shaped user name
(searched for as the literal text it is, as the server's log shows), a directory that is down
(nobody let in), and a person removed from the group (refused at the next request). Last, the
console sign-in with a directory account: straight in with one role, the picker with two, the
same answer for a wrong password and an unknown user, a clear page when no role is open, and
Keyward MFA on top when the directory requires it."""
import json
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pyotp
import pytest
import requests
from botocore.exceptions import ClientError

from conftest import BIN, Keyward, signed
from ldap_fixture import ADMIN_DN, ADMIN_PASSWORD, BASE_DN, OPS_DN, PEOPLE, Directory, slapd_ready

NS = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
SETTINGS = {"KEYWARD_ALLOW_PLAIN_LDAP": "true", "KEYWARD_LOG": "info"}


@pytest.fixture(scope="module")
def directory():
    reason = slapd_ready()
    if reason:
        pytest.skip(reason)
    d = Directory()
    yield d
    d.close()


@pytest.fixture(scope="module", params=["embedded", "postgres"])
def keyward(request, directory):
    """This module's server with the directory registered and a role trusting its ops group."""
    server = Keyward(request.param, settings=SETTINGS)
    password_file = os.path.join(server.dir, "directory-password")
    with open(password_file, "w") as f:
        f.write(ADMIN_PASSWORD + "\n")
    subprocess.run([BIN, "directory", "create", "corp", "--account", server.account,
                    "--url", directory.url, "--tls", "none", "--bind-dn", ADMIN_DN,
                    "--bind-password-file", password_file, "--base-dn", BASE_DN,
                    "--user-attribute", "uid", "--user-filter", "(objectClass=inetOrgPerson)",
                    "--groups", "member", "--attribute", "email=mail"],
                   env=server.env, check=True, capture_output=True, timeout=60)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{server.account}:directory/corp"},
        "Action": ["sts:AssumeRoleWithLDAPIdentity", "sts:SetSourceIdentity", "sts:TagSession"],
        "Condition": {"ForAnyValue:StringEquals": {"ldap:groups": OPS_DN}},
    }]}
    iam = server.client("iam")
    iam.create_role(RoleName="Operator", AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName="Operator", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    yield server
    server.stop(module=request.module.__name__)


def assume(server, user, password, role="Operator"):
    """The unsigned call as a script makes it: (HTTP status, parsed answer)."""
    form = urllib.parse.urlencode({
        "Action": "AssumeRoleWithLDAPIdentity", "Version": "2011-06-15",
        "RoleArn": f"arn:aws:iam::{server.account}:role/{role}",
        "LDAPUsername": user, "LDAPPassword": password}).encode()
    try:
        with urllib.request.urlopen(server.url + "/", data=form, timeout=30) as answer:
            return answer.status, ET.fromstring(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, ET.fromstring(e.read())


def error_of(answer):
    return answer.find(".//s:Code", NS).text, answer.find(".//s:Message", NS).text


def test_a_member_of_the_trusted_group_gets_role_credentials_that_boto3_uses(keyward):
    status, answer = assume(keyward, "alice", PEOPLE["alice"])
    assert status == 200, ET.tostring(answer)
    result = answer.find(".//s:AssumeRoleWithLDAPIdentityResult", NS)
    arn = f"arn:aws:sts::{keyward.account}:assumed-role/Operator/alice"
    assert result.find("s:AssumedRoleUser/s:Arn", NS).text == arn
    assert result.find("s:SourceIdentity", NS).text == "alice"
    c = result.find("s:Credentials", NS)
    key, secret, token = (c.find(f"s:{n}", NS).text for n in ("AccessKeyId", "SecretAccessKey", "SessionToken"))
    assert keyward.client("sts", key=key, secret=secret, token=token).get_caller_identity()["Arn"] == arn
    iam = keyward.client("iam", key=key, secret=secret, token=token)
    assert "Operator" in [r["RoleName"] for r in iam.list_roles()["Roles"]]
    with pytest.raises(ClientError) as denied:
        iam.create_user(UserName="from-the-directory")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_a_wrong_password_and_an_unknown_user_read_the_same(keyward):
    wrong = assume(keyward, "alice", "not-her-password")
    unknown = assume(keyward, "nobody-here", "whatever")
    assert wrong[0] == unknown[0] == 403
    assert error_of(wrong[1]) == error_of(unknown[1])
    assert error_of(wrong[1])[0] == "AccessDenied"
    # An empty password never binds (an unauthenticated bind "succeeds" on many servers).
    empty = assume(keyward, "alice", "")
    assert empty[0] == 403 and error_of(empty[1]) == error_of(wrong[1])


def test_a_person_outside_the_trusted_group_is_refused_by_the_trust_policy(keyward):
    status, answer = assume(keyward, "bob", PEOPLE["bob"])
    assert status == 403
    code, message = error_of(answer)
    assert code == "AccessDenied" and "sts:AssumeRoleWithLDAPIdentity" in message


def test_a_user_name_shaped_like_a_filter_is_searched_for_as_text(keyward):
    # `*` alone would match everyone if pasted into the filter; escaped, it matches nobody.
    status, answer = assume(keyward, "*", PEOPLE["alice"])
    assert status == 403 and error_of(answer)[0] == "AccessDenied"
    # The person whose name is `x*)(uid=*` is found as themselves, and their name cannot name a
    # role session, so they get no credentials either.
    status, answer = assume(keyward, "x*)(uid=*", PEOPLE["x*)(uid=*"])
    assert status == 400 and error_of(answer)[0] == "ValidationError"
    with open(os.path.join(keyward.dir, "server.log")) as f:
        log = f.read()
    assert r"(uid=\2a)" in log
    assert r"(uid=x\2a\29\28uid=\2a)" in log
    assert "(uid=*)" not in log


def test_a_directory_that_is_down_lets_nobody_in(keyward, directory):
    directory.stop()
    try:
        status, answer = assume(keyward, "alice", PEOPLE["alice"])
        assert status == 400
        assert error_of(answer)[0] == "IDPCommunicationError"
    finally:
        directory.start()
    assert assume(keyward, "alice", PEOPLE["alice"])[0] == 200


def test_a_person_removed_from_the_group_loses_the_role_at_the_next_request(keyward, directory):
    assert assume(keyward, "alice", PEOPLE["alice"])[0] == 200
    directory.remove_member(OPS_DN, "alice")
    try:
        status, answer = assume(keyward, "alice", PEOPLE["alice"])
        assert status == 403 and error_of(answer)[0] == "AccessDenied"
    finally:
        change = f"dn: {OPS_DN}\nchangetype: modify\nadd: member\nmember: uid=alice,ou=people,{BASE_DN}\n"
        subprocess.run(["ldapmodify", "-x", "-H", directory.url, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD],
                       input=change, text=True, check=True, capture_output=True)


def test_without_the_test_setting_plain_ldap_and_plain_http_are_refused(directory):
    server = Keyward("embedded")
    try:
        password_file = os.path.join(server.dir, "directory-password")
        with open(password_file, "w") as f:
            f.write(ADMIN_PASSWORD)
        subprocess.run([BIN, "directory", "create", "corp", "--account", server.account,
                        "--url", directory.url, "--tls", "none", "--bind-dn", ADMIN_DN,
                        "--bind-password-file", password_file, "--base-dn", BASE_DN,
                        "--user-attribute", "uid", "--user-filter", "(objectClass=inetOrgPerson)"],
                       env=server.env, check=True, capture_output=True, timeout=60)
        status, answer = assume(server, "alice", PEOPLE["alice"])
        code, message = error_of(answer)
        assert status == 400 and code == "ValidationError" and "https only" in message
    finally:
        server.stop()


def form_value(html, name):
    marker = f'name="{name}" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def console_sign_in(server, user, password):
    """Signs `user` in through the account's directory link: the last answer."""
    browser = requests.Session()
    signin = browser.get(f"{server.url}/signin/{server.account}")
    link = f"/signin/directory/{server.account}/corp"
    assert f'href="{link}">Sign in with your directory account (corp)</a>' in signin.text
    page = browser.get(server.url + link)
    assert page.status_code == 200
    answer = browser.post(server.url + link, allow_redirects=False, data={
        "csrf_token": form_value(page.text, "csrf_token"), "username": user, "password": password})
    return browser, answer


def test_people_sign_in_to_the_console_with_their_directory_account(keyward):
    iam = keyward.client("iam")
    # With one role open to her, alice goes straight to the console as that role.
    browser, answer = console_sign_in(keyward, "alice", PEOPLE["alice"])
    assert answer.status_code == 303 and answer.headers["location"] == "/console", answer.text
    console = browser.get(keyward.url + "/console")
    arn = f"arn:aws:sts::{keyward.account}:assumed-role/Operator/alice"
    assert f'title="{arn}">alice</span>' in console.text
    # A wrong password and an unknown user read the same, and sign nobody in.
    _, wrong = console_sign_in(keyward, "alice", "not-her-password")
    _, unknown = console_sign_in(keyward, "nobody-here", "whatever")
    assert wrong.status_code == unknown.status_code == 401
    assert "Your authentication information is incorrect" in wrong.text and "Your authentication information is incorrect" in unknown.text
    assert "keyward_session" not in wrong.cookies
    # bob's groups open no role: a clear page, no session.
    _, none = console_sign_in(keyward, "bob", PEOPLE["bob"])
    assert none.status_code == 403 and "No role is available to you" in none.text

    # With a second role open to the ops group, alice picks.
    trust = iam.get_role(RoleName="Operator")["Role"]["AssumeRolePolicyDocument"]
    iam.create_role(RoleName="Auditor", AssumeRolePolicyDocument=json.dumps(trust))
    try:
        browser, picker = console_sign_in(keyward, "alice", PEOPLE["alice"])
        assert picker.status_code == 200 and "<h1>Choose a role</h1>" in picker.text
        token = form_value(picker.text, "token")
        auditor = f"arn:aws:iam::{keyward.account}:role/Auditor"
        chosen = browser.post(keyward.url + "/signin/directory/choose", allow_redirects=False,
                              data={"role": auditor, "token": token})
        assert chosen.status_code == 303 and chosen.headers["location"] == "/console"
        console = browser.get(keyward.url + "/console")
        assert f"assumed-role/Auditor/alice" in console.text
        # The waiting sign-in is used once.
        again = browser.post(keyward.url + "/signin/directory/choose", allow_redirects=False,
                             data={"role": auditor, "token": token})
        assert again.status_code == 400
    finally:
        iam.delete_role(RoleName="Auditor")


def directory_setting(server, *args):
    subprocess.run([BIN, "directory", "update", "corp", "--account", server.account, *args],
                   env=server.env, check=True, capture_output=True, timeout=60)


def test_a_directory_requiring_mfa_has_its_people_enrol_an_app_then_prove_a_code(keyward):
    """MFA on top of the directory: at alice's first sign-in she enrols an authenticator app
    (to her directory identity, not to any IAM user), at the next she proves a code; a wrong or
    replayed code gets nothing, the picker cannot be reached around the code, and an
    administrator's reset has her enrol again."""
    directory_setting(keyward, "--require-mfa", "true")
    iam = keyward.client("iam")
    try:
        # STS cannot carry the second factor: the password alone gets no credentials there.
        status, answer = assume(keyward, "alice", PEOPLE["alice"])
        code, message = error_of(answer)
        assert status == 403 and code == "AccessDenied" and "requires Keyward MFA" in message
        browser, answer = console_sign_in(keyward, "alice", PEOPLE["alice"])
        assert answer.status_code == 303 and answer.headers["location"] == "/signin/directory/mfa"
        assert "keyward_session" not in browser.cookies
        page = browser.get(keyward.url + "/signin/directory/mfa")
        assert page.status_code == 200 and "set up an authenticator app" in page.text
        seed = page.text.split('id="totp-secret" class="secret">')[1].split("<")[0]
        token = form_value(page.text, "token")
        # The role cannot be had around the second factor.
        around = browser.post(keyward.url + "/signin/directory/choose", allow_redirects=False,
                              data={"role": f"arn:aws:iam::{keyward.account}:role/Operator",
                                    "token": token})
        assert around.status_code in (400, 403) and "keyward_session" not in around.cookies
        browser, answer = console_sign_in(keyward, "alice", PEOPLE["alice"])
        page = browser.get(keyward.url + "/signin/directory/mfa")
        seed = page.text.split('id="totp-secret" class="secret">')[1].split("<")[0]
        token = form_value(page.text, "token")
        totp = pyotp.TOTP(seed)
        t0 = time.time()
        wrong = browser.post(keyward.url + "/signin/directory/enrol", allow_redirects=False, data={
            "token": token, "name": "phone", "code1": "000000", "code2": "111111"})
        assert wrong.status_code == 401 and "The MFA code is not valid" in wrong.text
        enrolled = browser.post(keyward.url + "/signin/directory/enrol", allow_redirects=False,
                                data={"token": token, "name": "phone",
                                      "code1": totp.at(t0 - 30), "code2": totp.at(t0)})
        assert enrolled.status_code == 303 and enrolled.headers["location"] == "/console"
        arn = f"arn:aws:sts::{keyward.account}:assumed-role/Operator/alice"
        assert f'title="{arn}">alice</span>' in browser.get(keyward.url + "/console").text
        # The device is the directory identity's: no IAM entity, not the root user's.
        assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []
        assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 0

        # A role whose trust policy asks for MFA is offered once the code is proved.
        trust = iam.get_role(RoleName="Operator")["Role"]["AssumeRolePolicyDocument"]
        trust["Statement"][0]["Condition"]["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
        iam.create_role(RoleName="Guarded", AssumeRolePolicyDocument=json.dumps(trust))

        # The next sign-in asks for a code, not for a new app.
        browser, answer = console_sign_in(keyward, "alice", PEOPLE["alice"])
        assert answer.headers["location"] == "/signin/directory/mfa"
        page = browser.get(keyward.url + "/signin/directory/mfa")
        assert "totp-secret" not in page.text and 'name="code"' in page.text
        token = form_value(page.text, "token")
        for code in ("123456", totp.at(t0)):  # a wrong code, and the enrolment's, replayed
            refused = browser.post(keyward.url + "/signin/directory/mfa", allow_redirects=False,
                                   data={"token": token, "code": code})
            assert refused.status_code == 401 and "keyward_session" not in refused.cookies
        proved = browser.post(keyward.url + "/signin/directory/mfa", allow_redirects=False,
                              data={"token": token, "code": totp.at(t0 + 30)})
        assert proved.status_code == 200 and "<h1>Choose a role</h1>" in proved.text
        guarded = f"arn:aws:iam::{keyward.account}:role/Guarded"
        assert f'value="{guarded}"' in proved.text
        chosen = browser.post(keyward.url + "/signin/directory/choose", allow_redirects=False,
                              data={"role": guarded, "token": token})
        assert chosen.status_code == 303 and chosen.headers["location"] == "/console"
        assert "assumed-role/Guarded/alice" in browser.get(keyward.url + "/console").text
        # The waiting sign-in was used once.
        again = browser.post(keyward.url + "/signin/directory/mfa", allow_redirects=False,
                             data={"token": token, "code": totp.at(t0 + 30)})
        assert again.status_code == 400

        # Too many wrong codes end the waiting sign-in.
        browser, answer = console_sign_in(keyward, "alice", PEOPLE["alice"])
        page = browser.get(keyward.url + "/signin/directory/mfa")
        token = form_value(page.text, "token")
        def wrong_code():
            return browser.post(keyward.url + "/signin/directory/mfa", allow_redirects=False,
                                data={"token": token, "code": "000000"})
        assert [wrong_code().status_code for _ in range(4)] == [401] * 4
        # The identity's throttle now spaces the guesses out.
        assert wrong_code().status_code == 429
        time.sleep(2.2)
        last = wrong_code()
        assert last.status_code == 401 and "Too many wrong MFA codes" in last.text
        assert browser.get(keyward.url + "/signin/directory/mfa").status_code == 400

        # The directory's API lists her device (no IAM entity, but its directory's).
        status, listed = signed(keyward, "GET", "/keyward/directories/corp/mfa-devices")
        assert status == 200 and [(d["user_dn"], d["name"], d["kind"]) for d in listed["devices"]] \
            == [(f"uid=alice,ou=people,{BASE_DN}", "phone", "totp")], listed
        # A lost phone: the administrator resets alice's devices, and she enrols again.
        reset = subprocess.run([BIN, "directory", "reset-mfa", "corp", "--account", keyward.account,
                                "--user-dn", f"uid=alice,ou=people,{BASE_DN}"], env=keyward.env,
                               capture_output=True, text=True, timeout=60)
        assert reset.returncode == 0 and "removed arn:aws:iam::" in reset.stdout, reset.stderr
        browser, answer = console_sign_in(keyward, "alice", PEOPLE["alice"])
        page = browser.get(keyward.url + "/signin/directory/mfa")
        assert "set up an authenticator app" in page.text
    finally:
        directory_setting(keyward, "--require-mfa", "false")
    # Without the second factor, the role that asks for MFA is not offered: alice goes
    # straight in as Operator.
    try:
        browser, answer = console_sign_in(keyward, "alice", PEOPLE["alice"])
        assert answer.status_code == 303 and answer.headers["location"] == "/console"
        assert "assumed-role/Operator/alice" in browser.get(keyward.url + "/console").text
    finally:
        iam.delete_role(RoleName="Guarded")
