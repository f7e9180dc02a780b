#!/usr/bin/env python3
"""Which operations of botocore's `iam` model Keyward implements, found by asking a server.

Each operation is sent, signed and without parameters; Keyward answers an operation it does not
know with `InvalidAction`, and anything else (a validation error, a result) means it is there.

    python tests/e2e/iam_coverage.py URL KEY SECRET          # prints the coverage section
The README's "IAM API coverage" section is this output; tests/e2e/test_coverage.py keeps it so.
"""
import sys

import boto3
import botocore.config
import botocore.session
from botocore.exceptions import ClientError


def implemented(url, key, secret):
    client = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                          aws_secret_access_key=secret,
                          config=botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1}))
    model = botocore.session.get_session().get_service_model("iam")
    result = {}
    for op in model.operation_names:
        method = getattr(client, botocore.xform_name(op))
        try:
            method()
            result[op] = True
        except ClientError as e:
            result[op] = e.response["Error"]["Code"] != "InvalidAction"
    return result


def section(result):
    done = sorted(op for op, ok in result.items() if ok)
    missing = sorted(op for op, ok in result.items() if not ok)
    lines = [f"Keyward implements {len(done)} of the {len(result)} operations in botocore's `iam` model.", "",
             "Implemented: " + ", ".join(done) + ".", "",
             "Not yet: " + ", ".join(missing) + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(section(implemented(*sys.argv[1:4])), end="")
