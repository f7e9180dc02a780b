"""Virtual MFA devices, with codes computed by pyotp like an authenticator app."""
import base64
import time

import pyotp
import pytest
from botocore.exceptions import ClientError


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_virtual_mfa_lifecycle(iam, keyward, name):
    iam.create_user(UserName=name)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    serial = device["SerialNumber"]
    assert serial == f"arn:aws:iam::{keyward.account}:mfa/{name}"
    assert device["QRCodePNG"].startswith(b"\x89PNG"), "botocore decodes the blob"
    seed = device["Base32StringSeed"].decode()
    totp = pyotp.TOTP(seed)
    now = time.time()

    with pytest.raises(ClientError) as e:
        iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="000000",
                              AuthenticationCode2="111111")
    assert error_code(e) == "InvalidAuthenticationCode"
    iam.enable_mfa_device(UserName=name, SerialNumber=serial,
                          AuthenticationCode1=totp.at(now - 30), AuthenticationCode2=totp.at(now))
    listed = iam.list_mfa_devices(UserName=name)["MFADevices"]
    assert [d["SerialNumber"] for d in listed] == [serial]
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert any(d["SerialNumber"] == serial and d["User"]["UserName"] == name for d in assigned)
    assert iam.get_mfa_device(SerialNumber=serial)["UserName"] == name

    with pytest.raises(ClientError) as e:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error_code(e) == "DeleteConflict"
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=name)
    assert error_code(e) == "DeleteConflict"

    iam.deactivate_mfa_device(UserName=name, SerialNumber=serial)
    assert iam.list_mfa_devices(UserName=name)["MFADevices"] == []
    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert serial in [d["SerialNumber"] for d in unassigned]
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    iam.delete_user(UserName=name)


def test_device_names_are_unique(iam, name):
    iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
    with pytest.raises(ClientError) as e:
        iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
    assert error_code(e) == "EntityAlreadyExists"
