"""The run's Samba AD domain controller (tests/directories/samba.py) for the end-to-end tests: the
one tests/run started, described by the facts file KEYWARD_TEST_SAMBA names, or, when pytest runs
without it, one started here for this session and stopped at its end. Where none can run (not
root, Samba not installed), the tests that need it are skipped with the reason."""
import atexit
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "directories"))
import samba  # noqa: E402

_started = None


def samba_dc():
    """The DC (samba.DC), starting one for this session if the run has none; skips if impossible."""
    global _started
    path = os.environ.get("KEYWARD_TEST_SAMBA")
    if path:
        return samba.load(path)
    if _started is None:
        reason = samba.ready()
        if reason:
            print(f"\nSamba AD tests skipped: {reason}", file=sys.stderr)
            pytest.skip(f"no Samba AD domain controller: {reason}")
        facts = samba.start()
        atexit.register(samba.stop, facts)
        _started = samba.DC(facts)
    return _started
