"""The README's IAM coverage section matches what the server answers."""
import os
import re

import pytest

from iam_coverage import implemented, section

README = os.path.join(os.path.dirname(__file__), "../../README.md")


def test_readme_states_the_real_coverage(keyward):
    result = implemented(keyward.url, keyward.admin_key, keyward.admin_secret)
    assert result["CreateUser"] and result["ListPolicies"]
    with open(README) as f:
        text = f.read()
    found = re.search(r"<!-- iam-coverage -->\n(.*?)<!-- /iam-coverage -->", text, re.S)
    assert found, "README.md lacks the iam-coverage section"
    assert found.group(1) == section(result), (
        "README.md's IAM coverage is stale; regenerate it with tests/e2e/iam_coverage.py")


def test_every_implemented_operation_is_answered_end_to_end(request):
    """Each operation the README lists as implemented was answered without an error by a server
    of this run, through boto3 or the AWS CLI: counted from the servers' audit trails
    (conftest.ANSWERED_IAM), so a name in a comment or an always-failing call does not count.
    conftest runs this test last, after every other module's servers have stopped."""
    import glob

    import conftest

    here = os.path.dirname(__file__)
    modules = {os.path.basename(p)[:-3] for p in glob.glob(os.path.join(here, "test_*.py"))}
    collected = {item.module.__name__ for item in request.session.items}
    if collected != modules:
        pytest.skip("this check needs the whole end-to-end suite in one run "
                    f"(not collected: {sorted(modules - collected)})")
    with open(README) as f:
        listed = re.search(r"Implemented: (.*?)\.\n", f.read()).group(1).split(", ")
    missing = sorted(set(listed) - conftest.ANSWERED_IAM)
    assert not missing, f"implemented but never answered without an error end to end: {missing}"
