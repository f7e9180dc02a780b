"""IAM Roles Anywhere's administration API with unmodified boto3 (`rolesanywhere` client):
trust anchors, profiles, CRLs and tags; AWS's error shapes; IAM policy decides who may; the
audit trail records every change. The CAs, certificates and CRLs are made here."""
import datetime
import json
import os
import sqlite3
import subprocess
import urllib.parse

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import ADMIN_URL

NOW = datetime.datetime.now(datetime.timezone.utc)


def name_of(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def certificate(cn, ca, issuer=None):
    """A certificate for `cn` (a CA or not), self-signed unless `issuer` is (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    signer_name, signer_key = (issuer[0].subject, issuer[1]) if issuer else (name_of(cn), key)
    cert = (x509.CertificateBuilder()
            .subject_name(name_of(cn)).issuer_name(signer_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(days=1))
            .not_valid_after(NOW + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(signer_key, hashes.SHA256()))
    return cert, key


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def crl_of(ca, revoked=()):
    cert, key = ca
    builder = (x509.CertificateRevocationListBuilder().issuer_name(cert.subject)
               .last_update(NOW).next_update(NOW + datetime.timedelta(days=7)))
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOW).build())
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def ca():
    return certificate("Keyward Test Root CA", ca=True)


@pytest.fixture
def ra(keyward):
    return keyward.client("rolesanywhere")


def error_of(info):
    err = info.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]


def bundle_source(*certs):
    return {"sourceType": "CERTIFICATE_BUNDLE",
            "sourceData": {"x509CertificateData": "".join(pem(c) for c in certs)}}


def audited(keyward, name):
    """The recorded rolesanywhere events named `name` (changes are written in their own
    transaction, so they are there as soon as the call is answered)."""
    sql = ("SELECT request_parameters FROM audit_events WHERE event_source = 'rolesanywhere.amazonaws.com' "
           f"AND event_name = '{name}' AND error_code IS NULL")
    if keyward.db:
        parts = urllib.parse.urlsplit(ADMIN_URL)
        url = urllib.parse.urlunsplit(parts._replace(path="/" + keyward.db))
        out = subprocess.run(["psql", url, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                             check=True, capture_output=True, text=True).stdout
        return [json.loads(line) for line in out.splitlines() if line]
    with sqlite3.connect(os.path.join(keyward.dir, "keyward.db")) as db:
        return [json.loads(row[0]) for row in db.execute(sql)]


def test_trust_anchor_lifecycle(keyward, ra, ca, name):
    created = ra.create_trust_anchor(name=name, source=bundle_source(ca[0]), enabled=True,
                                     tags=[{"key": "team", "value": "edge"}])["trustAnchor"]
    anchor_id = created["trustAnchorId"]
    assert created["trustAnchorArn"] == (
        f"arn:aws:rolesanywhere:us-east-1:{keyward.account}:trust-anchor/{anchor_id}")
    assert created["enabled"] is True
    assert created["source"]["sourceType"] == "CERTIFICATE_BUNDLE"
    assert "BEGIN CERTIFICATE" in created["source"]["sourceData"]["x509CertificateData"]
    assert isinstance(created["createdAt"], datetime.datetime)

    got = ra.get_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]
    assert got["name"] == name
    by_arn = ra.get_trust_anchor(trustAnchorId=created["trustAnchorArn"])["trustAnchor"]
    assert by_arn["trustAnchorId"] == anchor_id
    listed = [a["trustAnchorId"] for a in ra.list_trust_anchors()["trustAnchors"]]
    assert anchor_id in listed

    other_ca = certificate("Keyward Second CA", ca=True)[0]
    updated = ra.update_trust_anchor(trustAnchorId=anchor_id, name=name + "-2",
                                     source=bundle_source(ca[0], other_ca))["trustAnchor"]
    assert updated["name"] == name + "-2"
    assert updated["source"]["sourceData"]["x509CertificateData"].count("BEGIN CERTIFICATE") == 2

    assert ra.disable_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]["enabled"] is False
    assert ra.enable_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]["enabled"] is True

    assert ra.delete_trust_anchor(trustAnchorId=anchor_id)["trustAnchor"]["trustAnchorId"] == anchor_id
    with pytest.raises(ClientError) as info:
        ra.get_trust_anchor(trustAnchorId=anchor_id)
    assert error_of(info) == ("ResourceNotFoundException", 404)

    created_events = [e for e in audited(keyward, "CreateTrustAnchor") if e["trustAnchorId"] == anchor_id]
    assert created_events and created_events[0]["caSubjects"] == ["CN=Keyward Test Root CA"]
    for event in ("UpdateTrustAnchor", "DisableTrustAnchor", "EnableTrustAnchor", "DeleteTrustAnchor"):
        assert any(e["trustAnchorId"] == anchor_id for e in audited(keyward, event)), event


def test_trust_anchor_validation(ra, ca, name):
    leaf = certificate("host.example", ca=False, issuer=ca)[0]
    cases = [
        bundle_source(leaf),  # not a CA
        {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": "garbage"}},
        {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData":
                                                           "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}},
        {"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x"}},
    ]
    for source in cases:
        with pytest.raises(ClientError) as info:
            ra.create_trust_anchor(name=name, source=source)
        assert error_of(info) == ("ValidationException", 400), source
        assert info.value.response["Error"]["Message"]
    for missing in ("00000000-0000-4000-8000-000000000000",):
        for call in (ra.get_trust_anchor, ra.enable_trust_anchor, ra.delete_trust_anchor):
            with pytest.raises(ClientError) as info:
                call(trustAnchorId=missing)
            assert error_of(info) == ("ResourceNotFoundException", 404)


def test_trust_anchor_names_follow_the_model(keyward, ca):
    ra = keyward.client("rolesanywhere", validate=False)
    for bad in ("", "no/slash", "x" * 256):
        with pytest.raises(ClientError) as info:
            ra.create_trust_anchor(name=bad, source=bundle_source(ca[0]))
        assert error_of(info) == ("ValidationException", 400)
    with pytest.raises(ClientError) as info:
        ra.get_trust_anchor(trustAnchorId="not-an-id")
    assert error_of(info) == ("ValidationException", 400)


def test_profile_lifecycle(keyward, ra, name):
    role = f"arn:aws:iam::{keyward.account}:role/{name}"
    policy = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    created = ra.create_profile(name=name, roleArns=[role], sessionPolicy=policy,
                                managedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
                                durationSeconds=1800, acceptRoleSessionName=True,
                                requireInstanceProperties=False, enabled=True)["profile"]
    profile_id = created["profileId"]
    assert created["profileArn"] == f"arn:aws:rolesanywhere:us-east-1:{keyward.account}:profile/{profile_id}"
    assert created["roleArns"] == [role]
    assert created["durationSeconds"] == 1800
    assert created["acceptRoleSessionName"] is True
    assert created["enabled"] is True
    assert json.loads(created["sessionPolicy"]) == json.loads(policy)
    assert created["createdBy"].startswith("arn:aws:iam::")

    assert ra.get_profile(profileId=profile_id)["profile"]["name"] == name
    assert profile_id in [p["profileId"] for p in ra.list_profiles()["profiles"]]
    updated = ra.update_profile(profileId=profile_id, durationSeconds=43200,
                                roleArns=[role, role + "-b"])["profile"]
    assert updated["durationSeconds"] == 43200 and len(updated["roleArns"]) == 2
    assert updated["managedPolicyArns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert ra.disable_profile(profileId=profile_id)["profile"]["enabled"] is False
    assert ra.enable_profile(profileId=profile_id)["profile"]["enabled"] is True
    ra.delete_profile(profileId=profile_id)
    with pytest.raises(ClientError) as info:
        ra.get_profile(profileId=profile_id)
    assert error_of(info) == ("ResourceNotFoundException", 404)
    assert any(e["profileId"] == profile_id and e["durationSeconds"] == 1800
               for e in audited(keyward, "CreateProfile"))
    assert any(e["profileId"] == profile_id for e in audited(keyward, "DeleteProfile"))


def test_profile_validation(keyward, name):
    ra = keyward.client("rolesanywhere", validate=False)
    role = f"arn:aws:iam::{keyward.account}:role/{name}"
    bad = [
        {"roleArns": [role], "durationSeconds": 899},
        {"roleArns": [role], "durationSeconds": 43201},
        {"roleArns": ["arn:aws:iam::999999999999:role/elsewhere"]},
        {"roleArns": [f"arn:aws:iam::{keyward.account}:user/{name}"]},
        {"roleArns": [role], "sessionPolicy": "{not json"},
        {"roleArns": [role], "managedPolicyArns": ["not-an-arn"]},
    ]
    for fields in bad:
        with pytest.raises(ClientError) as info:
            ra.create_profile(name=name, **fields)
        assert error_of(info) == ("ValidationException", 400), fields


def test_crl_lifecycle(keyward, ra, ca, name):
    anchor = ra.create_trust_anchor(name=name, source=bundle_source(ca[0]))["trustAnchor"]
    revoked = certificate("revoked.example", ca=False, issuer=ca)[0]
    der = crl_of(ca, revoked=[revoked.serial_number])
    crl = ra.import_crl(name=name, crlData=der, trustAnchorArn=anchor["trustAnchorArn"],
                        enabled=True, tags=[{"key": "source", "value": "test"}])["crl"]
    crl_id = crl["crlId"]
    assert crl["crlArn"] == f"arn:aws:rolesanywhere:us-east-1:{keyward.account}:crl/{crl_id}"
    assert crl["crlData"] == der
    assert crl["trustAnchorArn"] == anchor["trustAnchorArn"]
    assert crl["enabled"] is True

    assert ra.get_crl(crlId=crl_id)["crl"]["name"] == name
    assert crl_id in [c["crlId"] for c in ra.list_crls()["crls"]]
    assert ra.disable_crl(crlId=crl_id)["crl"]["enabled"] is False
    assert ra.enable_crl(crlId=crl_id)["crl"]["enabled"] is True
    assert ra.list_tags_for_resource(resourceArn=crl["crlArn"])["tags"] == [{"key": "source", "value": "test"}]
    ra.delete_crl(crlId=crl_id)
    with pytest.raises(ClientError) as info:
        ra.get_crl(crlId=crl_id)
    assert error_of(info) == ("ResourceNotFoundException", 404)
    assert any(e["crlId"] == crl_id and e["issuer"] == "CN=Keyward Test Root CA"
               for e in audited(keyward, "ImportCrl"))

    # A CRL in PEM is taken too; one of another CA, or garbage, is refused.
    pem_crl = x509.load_der_x509_crl(der).public_bytes(serialization.Encoding.PEM)
    again = ra.import_crl(name=name, crlData=pem_crl, trustAnchorArn=anchor["trustAnchorArn"])["crl"]
    assert again["crlData"] == der and again["enabled"] is False
    stranger = certificate("Stranger CA", ca=True)
    for data in (crl_of(stranger), b"not a crl"):
        with pytest.raises(ClientError) as info:
            ra.import_crl(name=name, crlData=data, trustAnchorArn=anchor["trustAnchorArn"])
        assert error_of(info) == ("ValidationException", 400)
    # Deleting the anchor deletes its CRLs.
    ra.delete_trust_anchor(trustAnchorId=anchor["trustAnchorId"])
    with pytest.raises(ClientError) as info:
        ra.get_crl(crlId=again["crlId"])
    assert error_of(info) == ("ResourceNotFoundException", 404)


def test_tags(keyward, ra, ca, name):
    anchor = ra.create_trust_anchor(name=name, source=bundle_source(ca[0]),
                                    tags=[{"key": "team", "value": "edge"}])["trustAnchor"]
    arn = anchor["trustAnchorArn"]
    ra.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "prod"},
                                           {"key": "team", "value": "core"}])
    tags = ra.list_tags_for_resource(resourceArn=arn)["tags"]
    assert sorted((t["key"], t["value"]) for t in tags) == [("env", "prod"), ("team", "core")]
    ra.untag_resource(resourceArn=arn, tagKeys=["env"])
    assert ra.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "core"}]
    with pytest.raises(ClientError) as info:
        ra.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(50)])
    assert error_of(info) == ("TooManyTagsException", 400)
    missing = arn.rsplit("/", 1)[0] + "/00000000-0000-4000-8000-000000000000"
    with pytest.raises(ClientError) as info:
        ra.list_tags_for_resource(resourceArn=missing)
    assert error_of(info) == ("ResourceNotFoundException", 404)
    assert any(e["resourceArn"] == arn for e in audited(keyward, "TagResource"))
    ra.delete_trust_anchor(trustAnchorId=anchor["trustAnchorId"])


def test_a_user_without_rolesanywhere_permissions_is_denied(keyward, iam, ra, ca, name):
    anchor = ra.create_trust_anchor(name=name, source=bundle_source(ca[0]))["trustAnchor"]
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="reader", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "rolesanywhere:ListTrustAnchors", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    theirs = keyward.client("rolesanywhere", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert anchor["trustAnchorId"] in [a["trustAnchorId"] for a in theirs.list_trust_anchors()["trustAnchors"]]
    calls = [
        lambda: theirs.create_trust_anchor(name=name, source=bundle_source(ca[0])),
        lambda: theirs.get_trust_anchor(trustAnchorId=anchor["trustAnchorId"]),
        lambda: theirs.delete_trust_anchor(trustAnchorId=anchor["trustAnchorId"]),
        lambda: theirs.list_profiles(),
        lambda: theirs.tag_resource(resourceArn=anchor["trustAnchorArn"], tags=[{"key": "a", "value": "b"}]),
    ]
    for call in calls:
        with pytest.raises(ClientError) as info:
            call()
        assert error_of(info) == ("AccessDeniedException", 403)
    # Still there: nothing was changed by the refused calls.
    assert ra.get_trust_anchor(trustAnchorId=anchor["trustAnchorId"])["trustAnchor"]["name"] == name


def test_paging(ra, ca, name):
    ids = {ra.create_trust_anchor(name=f"{name}-{i}", source=bundle_source(ca[0]))["trustAnchor"]["trustAnchorId"]
           for i in range(3)}
    seen, token = [], None
    while True:
        page = ra.list_trust_anchors(pageSize=1, **({"nextToken": token} if token else {}))
        assert len(page["trustAnchors"]) <= 1
        seen += [a["trustAnchorId"] for a in page["trustAnchors"]]
        token = page.get("nextToken")
        if not token:
            break
    assert ids <= set(seen) and len(seen) == len(set(seen))
    whole = [a["trustAnchorId"] for p in ra.get_paginator("list_trust_anchors").paginate()
             for a in p["trustAnchors"]]
    assert whole == seen
    for anchor_id in ids:
        ra.delete_trust_anchor(trustAnchorId=anchor_id)


def test_other_services_requests_do_not_reach_it(keyward, iam):
    # The IAM Query API at / still answers, and an unsigned request to these paths is not served.
    assert iam.get_user()["User"]["Arn"]
    import urllib.request
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(keyward.url + "/trustanchors")
    assert info.value.code == 404
