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


def test_every_implemented_operation_is_exercised_end_to_end():
    """Each operation the README lists as implemented is called by some end-to-end test, through
    boto3 (`iam.create_user(`, or a name built for a parametrized kind) or the AWS CLI."""
    import glob

    import botocore

    with open(README) as f:
        listed = re.search(r"Implemented: (.*?)\.\n", f.read()).group(1).split(", ")
    here = os.path.dirname(__file__)
    source = "".join(open(p).read() for p in glob.glob(os.path.join(here, "test_*.py")))
    # Tag/Untag/List...Tags are called through one parametrized test over every taggable kind.
    kinds = re.search(r"KINDS = \[(.*?)\]", source).group(1).replace('"', "").split(", ")
    tagging = {f"{verb}{kind}" for kind in kinds for verb in ("Tag", "Untag")} | {f"List{k}Tags" for k in kinds}

    def called(op):
        snake = botocore.xform_name(op)
        return op in tagging or f".{snake}(" in source or f'"{snake.replace("_", "-")}"' in source

    missing = [op for op in listed if not called(op)]
    assert not missing, f"implemented but never called end to end: {missing}"
