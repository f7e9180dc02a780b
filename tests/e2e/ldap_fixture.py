"""An OpenLDAP directory for the end-to-end tests: Debian's slapd (installed by tests/run) on a
free loopback port, plain LDAP (Keyward reaches it only under its test setting
KEYWARD_ALLOW_PLAIN_LDAP), with the mdb backend and the memberof overlay, and a few people:

- alice, in group ops; bob, in no group; and a person whose user name is `x*)(uid=*`, an
  injection attempt as a name, which must be searched for as the literal text it is.

Passwords are in PEOPLE. `Directory.remove_member` and `stop`/`start` let a test change what
the directory says and take it down.

Run as a program (`python3 tests/e2e/ldap_fixture.py`, for the browser tests), it starts the
directory, prints one JSON line to standard output (url, base_dn, admin_dn, admin_password,
ops_dn, people: user name to password), and serves until its standard input closes or it gets
SIGTERM or SIGINT, then stops slapd and removes its files. Where slapd cannot run, the line is
{"unavailable": reason} and the program ends at once.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BASE_DN = "dc=example,dc=test"
ADMIN_DN = f"cn=admin,{BASE_DN}"
ADMIN_PASSWORD = "directory-admin-password"
PEOPLE = {"alice": "alice-directory-pw", "bob": "bob-directory-pw", "x*)(uid=*": "injector-pw"}
OPS_DN = f"cn=ops,ou=groups,{BASE_DN}"
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"


def person_dn(uid):
    # RFC 4514: the `*`, `(` and `)` of the injector's name need no escaping in a DN.
    return f"uid={uid},ou=people,{BASE_DN}"


def slapd_ready():
    """Why slapd cannot run here, or None."""
    if not os.path.exists(SLAPD):
        return f"no slapd at {SLAPD} (tests/run installs Debian's slapd and ldap-utils)"
    if not shutil.which("slapadd") and not os.path.exists("/usr/sbin/slapadd"):
        return "no slapadd"
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ldif():
    entries = [
        f"dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n",
        f"dn: ou=people,{BASE_DN}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: ou=groups,{BASE_DN}\nobjectClass: organizationalUnit\nou: groups\n",
    ]
    for uid, password in PEOPLE.items():
        mail = "mail: alice@example.test\n" if uid == "alice" else ""
        entries.append(
            f"dn: {person_dn(uid)}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\n"
            f"{mail}userPassword: {password}\n")
    # groupOfNames must keep a member: the administrator stays in ops when alice leaves.
    entries.append(f"dn: {OPS_DN}\nobjectClass: groupOfNames\ncn: ops\nmember: {person_dn('alice')}\n"
                   f"member: {ADMIN_DN}\n")
    return "\n".join(entries)


class Directory:
    """A running slapd with the people above."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="keyward-ldap-")
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.proc = None
        try:
            self._create()
            self.start()
        except BaseException:
            # Nothing left behind when slapadd fails or slapd does not listen.
            self.close()
            raise

    def _create(self):
        os.mkdir(os.path.join(self.dir, "db"))
        hashed = subprocess.run(["slappasswd", "-s", ADMIN_PASSWORD], capture_output=True, text=True,
                                check=True).stdout.strip()
        self.conf = os.path.join(self.dir, "slapd.conf")
        with open(self.conf, "w") as f:
            f.write(f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {self.dir}/slapd.pid
database mdb
suffix "{BASE_DN}"
rootdn "{ADMIN_DN}"
rootpw {hashed}
directory {self.dir}/db
overlay memberof
""")
        subprocess.run(["slapadd", "-f", self.conf], input=ldif(), text=True, check=True,
                       capture_output=True)

    def start(self):
        self.proc = subprocess.Popen([SLAPD, "-d", "0", "-f", self.conf, "-h", f"{self.url}/"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"slapd did not listen on {self.url}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)

    def remove_member(self, group_dn, uid):
        change = f"dn: {group_dn}\nchangetype: modify\ndelete: member\nmember: {person_dn(uid)}\n"
        subprocess.run(["ldapmodify", "-x", "-H", self.url, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD],
                       input=change, text=True, check=True, capture_output=True)

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    reason = slapd_ready()
    if reason:
        print(json.dumps({"unavailable": reason}), flush=True)
        return 0

    def stop_serving(signum, _frame):
        raise SystemExit(128 + signum)

    # Installed before slapd starts, so that a signal never leaves it running.
    signal.signal(signal.SIGTERM, stop_serving)
    signal.signal(signal.SIGINT, stop_serving)
    directory = None
    try:
        directory = Directory()
        print(json.dumps({"url": directory.url, "base_dn": BASE_DN, "admin_dn": ADMIN_DN,
                          "admin_password": ADMIN_PASSWORD, "ops_dn": OPS_DN, "people": PEOPLE}),
              flush=True)
        # Until the parent closes our standard input (or exits, which closes it).
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        # A second signal does not cut the clean-up short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if directory is not None:
            directory.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
