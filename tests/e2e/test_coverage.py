"""The README's IAM coverage section matches what the server answers."""
import os
import re

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
