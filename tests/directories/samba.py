"""A Samba Active Directory domain controller for the tests: provisioned, seeded and started once
per test run (tests/run), shared by every test that needs a real AD, and stopped at the end.

    python3 tests/directories/samba.py start FACTS.json   # provision, seed, start; write the facts
    python3 tests/directories/samba.py stop FACTS.json    # stop it and remove what it left

The facts (JSON): the LDAPS URL, the test CA's PEM file, the base DN, the administrator's and the
service account's DN (and user@domain name) and passwords, the people's passwords and DNs, the
groups' DNs, the server's log file. tests/run exports the file's path as KEYWARD_TEST_SAMBA; a
test run without it (pytest alone) starts a DC of its own through `start()`.

Samba's ports are fixed (LDAPS is 636), so each DC listens on an address of its own on the
loopback interface: a random 127.x.y.z added to `lo` as a /32 (Samba serves only addresses an
interface has; `ip addr add` refuses an address already there, so two runs on one machine never
share one). The server certificate is issued by a CA made for the run, with the address as an
IP subject alternative name, so a client checking the certificate against the URL's host (as
Keyward does, with rustls) accepts it.

The people (sAMAccountName: what they are):
- alice: in Ops-Team, which is a member of Ops (a role trusting Ops admits her only through
  the nesting); mail and displayName set, for attribute mapping.
- frank: in Ops-Team; his CN, `Frank (Ops), Jr.`, needs escaping in a DN and in a filter.
- henry: in Ops-Team; a test takes him out of the group and puts him back.
- bob: in no group.
- erin: disabled (userAccountControl 0x2).
- dave: must change his password at next sign-in (pwdLastSet 0).
- carol: locked out (lockoutTime set), after wrong binds under a password settings object that
  applies to her alone (threshold 2, locked for a day), so nobody else's wrong password locks them.
- ivan: in Ops-Team, under a password settings object of his own: two wrong passwords lock him
  out for BRIEF_LOCKOUT_SECONDS (`DC.lock_out`); AD keeps his lockoutTime after that, until his
  next successful sign-in.
- svc-keyward: an ordinary user, the service account Keyward searches as.
- load-00 ... load-15 (LOAD_PEOPLE): in Ops-Team, for load tests (bench/directory_signin.py),
  so that concurrent sign-ins are spread over people (Keyward counts a sign-in against its user
  name until it is checked).

Needs root (Samba's DC runs as root, and the address is added to `lo`), Debian's `samba`,
`samba-dsdb-modules`, `ldap-utils`, `openssl` and `iproute2`; `ready()` says why not.
"""
import base64
import json
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

REALM = "EXAMPLE.TEST"
DOMAIN = "EXAMPLE"
BASE_DN = "DC=example,DC=test"
USERS_DN = f"CN=Users,{BASE_DN}"
ADMIN_PASSWORD = "Directory-Admin-Pw1"
SERVICE = "svc-keyward"
SERVICE_PASSWORD = "Keyward-Service-Pw1"
# Passwords meet AD's default complexity rule (three of: upper, lower, digit, symbol).
PEOPLE = {
    "alice": "Alice-Directory-Pw1",
    "frank": "Frank-Directory-Pw1",
    "henry": "Henry-Directory-Pw1",
    "bob": "Bob-Directory-Pw1",
    "erin": "Erin-Directory-Pw1",
    "dave": "Dave-Directory-Pw1",
    "carol": "Carol-Directory-Pw1",
    "ivan": "Ivan-Directory-Pw1",
}
NESTED = ["alice", "frank", "henry", "ivan"]  # the members of Ops-Team
LOAD_PEOPLE = {f"load-{i:02d}": f"Load-{i:02d}-Directory-Pw1" for i in range(16)}
# ivan's lockout: two wrong passwords lock him out for this long (`DC.lock_out`).
BRIEF_LOCKOUT_SECONDS = 5
FRANK_CN = "Frank (Ops), Jr."
ALICE_MAIL = "alice@example.test"
ALICE_DISPLAY_NAME = "Alice Liddell"
SAMBA = shutil.which("samba") or "/usr/sbin/samba"
SAMBA_TOOL = shutil.which("samba-tool") or "/usr/bin/samba-tool"
IP = shutil.which("ip") or "/usr/sbin/ip"


def ready():
    """Why a DC cannot run here, or None."""
    if os.geteuid() != 0:
        return "Samba's domain controller needs root (it runs as root and adds an address to lo)"
    for tool, package in [(SAMBA, "samba"), (SAMBA_TOOL, "samba-common-bin"), (IP, "iproute2"),
                          (shutil.which("openssl"), "openssl"),
                          (shutil.which("ldapsearch"), "ldap-utils"),
                          (shutil.which("ldapmodify"), "ldap-utils")]:
        if not tool or not os.path.exists(tool):
            return f"no {os.path.basename(tool or package)} (Debian package {package}; tests/run installs it)"
    return None


def run(*args, **kwargs):
    kwargs.setdefault("check", True)
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 300)
    try:
        return subprocess.run(list(args), **kwargs)
    except subprocess.CalledProcessError as e:
        raise RuntimeError(f"{' '.join(args)} failed ({e.returncode}):\n{e.stdout}\n{e.stderr}") from e


def claim_address():
    """A loopback address of this DC's own, added to lo; `ip` refuses one already there."""
    for _ in range(50):
        address = f"127.{random.randint(100, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        added = subprocess.run([IP, "addr", "add", f"{address}/32", "dev", "lo"], capture_output=True, text=True)
        if added.returncode == 0:
            return address
        if "File exists" not in added.stderr:
            raise RuntimeError(f"ip addr add {address}/32 dev lo: {added.stderr.strip()}")
    raise RuntimeError("no free loopback address")


def release_address(address):
    subprocess.run([IP, "addr", "del", f"{address}/32", "dev", "lo"], capture_output=True)


def make_certificates(tls, address):
    """A CA for this run and the DC's certificate from it, naming the address (and the DC's
    DNS name); EC P-256 keys."""
    os.makedirs(tls, exist_ok=True)
    ca_key, ca, key, csr, cert = (os.path.join(tls, n) for n in ("ca.key", "ca.pem", "key.pem", "dc.csr", "cert.pem"))
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", ca_key, "-out", ca, "-days", "7", "-subj", "/CN=Keyward test CA (Samba AD)",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", csr, "-subj", f"/CN={address}")
    ext = os.path.join(tls, "dc.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName=IP:{address},DNS:dc.example.test\nbasicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-out", cert, "-days", "7", "-extfile", ext)
    os.chmod(key, 0o600)
    return ca, cert, key


def dn_value(text):
    """RFC 4514 escaping of an attribute value in a DN."""
    out = "".join("\\" + c if c in ',+"\\<>;=' else c for c in text)
    if out.startswith((" ", "#")):
        out = "\\" + out
    if out.endswith(" "):
        out = out[:-1] + "\\ "
    return out


def cn_of(user):
    return FRANK_CN if user == "frank" else user


def person_dn(user):
    return f"CN={dn_value(cn_of(user))},{USERS_DN}"


def group_dn(name):
    return f"CN={name},{USERS_DN}"


class DC:
    """A provisioned, seeded and running domain controller (or one described by a facts file)."""

    def __init__(self, facts):
        self.facts = facts

    def __getattr__(self, name):
        try:
            return self.facts[name]
        except KeyError:
            raise AttributeError(name) from None

    def ldapmodify(self, change):
        """Applies LDIF over LDAPS as the administrator."""
        env = dict(os.environ, LDAPTLS_CACERT=self.ca_file, LDAPTLS_REQCERT="demand")
        run("ldapmodify", "-x", "-H", self.url, "-D", self.admin_dn, "-w", self.admin_password,
            input=change, env=env)

    def remove_member(self, group, user):
        self.ldapmodify(f"dn: {group_dn(group)}\nchangetype: modify\ndelete: member\nmember: {person_dn(user)}\n")

    def add_member(self, group, user):
        self.ldapmodify(f"dn: {group_dn(group)}\nchangetype: modify\nadd: member\nmember: {person_dn(user)}\n")

    def add_load_people(self):
        """LOAD_PEOPLE, added over LDAPS in one go (AD takes a new user's password as
        unicodePwd, the quoted password in UTF-16LE), and made members of Ops-Team."""
        change = []
        for user, password in LOAD_PEOPLE.items():
            encoded = base64.b64encode(f'"{password}"'.encode("utf-16-le")).decode()
            change.append(f"dn: CN={user},{USERS_DN}\nchangetype: add\nobjectClass: user\n"
                          f"sAMAccountName: {user}\nunicodePwd:: {encoded}\nuserAccountControl: 512\n")
        members = "".join(f"member: CN={user},{USERS_DN}\n" for user in LOAD_PEOPLE)
        change.append(f"dn: {group_dn('Ops-Team')}\nchangetype: modify\nadd: member\n{members}")
        self.ldapmodify("\n".join(change))

    def lock_out(self, user):
        """Wrong binds as `user` until AD locks them out (ivan: for BRIEF_LOCKOUT_SECONDS)."""
        for _ in range(2):
            self.bind(person_dn(user), "not-the-password")

    def bind(self, dn, password):
        """Whether a simple bind over LDAPS as `dn` succeeds (then a read of the root DSE:
        Samba has no "Who am I?" operation for ldapwhoami)."""
        env = dict(os.environ, LDAPTLS_CACERT=self.ca_file, LDAPTLS_REQCERT="demand")
        return subprocess.run(["ldapsearch", "-x", "-H", self.url, "-D", dn, "-w", password, "-b", "",
                               "-s", "base", "-LLL", "(objectClass=*)", "1.1"], env=env,
                              capture_output=True, timeout=30).returncode == 0


def tool(conf, *args):
    return run(SAMBA_TOOL, *args, "-s", conf)


def seed(conf):
    """The people, groups and password settings above, written offline to the new DC's database."""
    tool(conf, "user", "create", SERVICE, SERVICE_PASSWORD, "--use-username-as-cn",
         "--description=Keyward's service account")
    for user, password in PEOPLE.items():
        extra = ["--must-change-at-next-login"] if user == "dave" else []
        if user == "alice":
            extra += [f"--mail-address={ALICE_MAIL}", "--given-name=Alice", "--surname=Liddell"]
        tool(conf, "user", "create", user, password, "--use-username-as-cn", *extra)
    # samba-tool pastes the CN into a DN: it is given escaped.
    tool(conf, "user", "rename", "frank", f"--force-new-cn={dn_value(FRANK_CN)}")
    tool(conf, "user", "disable", "erin")
    tool(conf, "group", "add", "Ops")
    tool(conf, "group", "add", "Ops-Team")
    tool(conf, "group", "addmembers", "Ops-Team", ",".join(NESTED))
    tool(conf, "group", "addmembers", "Ops", "Ops-Team")
    tool(conf, "domain", "passwordsettings", "pso", "create", "lock-fast", "1",
         "--account-lockout-threshold=2", "--account-lockout-duration=1440",
         "--reset-account-lockout-after=1440")
    tool(conf, "domain", "passwordsettings", "pso", "apply", "lock-fast", "carol")
    # samba-tool counts in minutes; the settings object gets seconds over LDAP once running.
    tool(conf, "domain", "passwordsettings", "pso", "create", "lock-briefly", "2",
         "--account-lockout-threshold=2", "--account-lockout-duration=1",
         "--reset-account-lockout-after=1")
    tool(conf, "domain", "passwordsettings", "pso", "apply", "lock-briefly", "ivan")


def wait_for_ldaps(address, ca_file, deadline):
    context = ssl.create_default_context(cafile=ca_file)
    last = None
    while time.time() < deadline:
        try:
            with socket.create_connection((address, 636), timeout=2) as sock:
                with context.wrap_socket(sock, server_hostname=address):
                    return
        except OSError as e:
            last = e
            time.sleep(0.2)
    raise RuntimeError(f"Samba did not answer LDAPS on {address}:636: {last}")


def start(workdir=None):
    """Provisions, seeds and starts a DC; its facts (a dict, also written to DIR/facts.json)."""
    reason = ready()
    if reason:
        raise RuntimeError(reason)
    began = time.time()
    workdir = workdir or tempfile.mkdtemp(prefix="keyward-samba-")
    address = claim_address()
    proc = None
    try:
        ca, cert, key = make_certificates(os.path.join(workdir, "tls"), address)
        target = os.path.join(workdir, "dc")
        run(SAMBA_TOOL, "domain", "provision", f"--targetdir={target}", f"--realm={REALM}",
            f"--domain={DOMAIN}", "--server-role=dc", "--dns-backend=NONE", "--use-rfc2307",
            f"--adminpass={ADMIN_PASSWORD}", f"--option=interfaces={address}",
            "--option=bind interfaces only=yes")
        conf = os.path.join(target, "etc", "smb.conf")
        rundir = os.path.join(target, "run")
        os.makedirs(rundir, exist_ok=True)
        log = os.path.join(target, "samba.log")
        # Only the LDAP service, and nothing in /run/samba or /var/log/samba: two DCs on one
        # machine share no file.
        settings = {
            "server services": "ldap",
            "pid directory": rundir,
            "ncalrpc dir": os.path.join(rundir, "ncalrpc"),
            "winbindd socket directory": os.path.join(rundir, "winbindd"),
            "ntp signd socket directory": os.path.join(rundir, "ntp_signd"),
            "log file": log,
            "log level": "1",
            "tls enabled": "yes",
            "tls keyfile": key,
            "tls certfile": cert,
            "tls cafile": ca,
        }
        with open(conf) as f:
            text = f.read()
        extra = "".join(f"\t{k} = {v}\n" for k, v in settings.items())
        with open(conf, "w") as f:
            f.write(text.replace("[global]\n", "[global]\n" + extra, 1))
        seed(conf)
        out = open(os.path.join(target, "samba.out"), "w")
        proc = subprocess.Popen([SAMBA, "-s", conf, "-F", "-M", "single"], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        wait_for_ldaps(address, ca, time.time() + 60)
        facts = {
            "url": f"ldaps://{address}",
            "address": address,
            "ca_file": ca,
            "base_dn": BASE_DN,
            "realm": REALM,
            "admin_dn": f"CN=Administrator,{USERS_DN}",
            "admin_password": ADMIN_PASSWORD,
            "service_dn": f"CN={SERVICE},{USERS_DN}",
            "service_upn": f"{SERVICE}@{REALM.lower()}",
            "service_password": SERVICE_PASSWORD,
            "people": PEOPLE,
            "load_people": LOAD_PEOPLE,
            "dns": {user: f"CN={user},{USERS_DN}" if user in LOAD_PEOPLE else person_dn(user)
                    for user in [*PEOPLE, *LOAD_PEOPLE]},
            "groups": {name: group_dn(name) for name in ("Ops", "Ops-Team")},
            "alice_mail": ALICE_MAIL,
            "alice_display_name": ALICE_DISPLAY_NAME,
            "brief_lockout_seconds": BRIEF_LOCKOUT_SECONDS,
            "log": log,
            "dir": workdir,
            "pid": proc.pid,
        }
        dc = DC(facts)
        interval = -BRIEF_LOCKOUT_SECONDS * 10_000_000  # AD's intervals: 100 ns units, negative
        dc.ldapmodify(f"dn: CN=lock-briefly,CN=Password Settings Container,CN=System,{BASE_DN}\n"
                      f"changetype: modify\nreplace: msDS-LockoutDuration\nmsDS-LockoutDuration: {interval}\n"
                      f"-\nreplace: msDS-LockoutObservationWindow\n"
                      f"msDS-LockoutObservationWindow: {interval}\n")
        dc.add_load_people()
        # carol's wrong passwords lock her out (her password settings object's threshold is 2).
        for _ in range(3):
            dc.bind(person_dn("carol"), "not-carols-password")
        if dc.bind(person_dn("carol"), PEOPLE["carol"]):
            raise RuntimeError("carol is not locked out after wrong passwords")
        if not dc.bind(person_dn("alice"), PEOPLE["alice"]):
            raise RuntimeError("alice cannot bind over LDAPS")
        facts["seconds_to_start"] = round(time.time() - began, 1)
        with open(os.path.join(workdir, "facts.json"), "w") as f:
            json.dump(facts, f, indent=2)
        return facts
    except BaseException:
        if os.environ.get("KEYWARD_SAMBA_KEEP"):
            print(f"kept {workdir} on {address} (pid {proc and proc.pid}) for a look", file=sys.stderr)
            raise
        if proc is not None:
            _kill(proc.pid)
        release_address(address)
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def _kill(pid):
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:  # our own child: reap it
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stop(facts):
    """Stops the DC (its process group, by id), and removes its address and files."""
    _kill(facts["pid"])
    release_address(facts["address"])
    shutil.rmtree(facts["dir"], ignore_errors=True)


def load(path):
    with open(path) as f:
        return DC(json.load(f))


def main(argv):
    if not (len(argv) == 3 and argv[1] in ("start", "stop")) and argv[1:] != ["ready"]:
        print(f"usage: {argv[0]} start|stop FACTS.json, or {argv[0]} ready", file=sys.stderr)
        return 2
    if argv[1] == "ready":
        reason = ready()
        print(reason or "ready")
        return 1 if reason else 0
    if argv[1] == "start":
        facts = start()
        with open(argv[2], "w") as f:
            json.dump(facts, f, indent=2)
        print(f"Samba AD DC at {facts['url']} (pid {facts['pid']}), ready in {facts['seconds_to_start']}s")
        return 0
    with open(argv[2]) as f:
        stop(json.load(f))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
