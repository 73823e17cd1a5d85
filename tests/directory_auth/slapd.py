"""A real OpenLDAP server (Debian's ``slapd``) in a temporary folder on a free loopback port.

Nothing of the system's LDAP configuration is used: the server gets its own ``slapd.conf``, its own
database folder and, for the StartTLS test, its own self-signed certificate. The demo directory has
AD-like ``memberOf`` (the memberof overlay) and one nested group.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SLAPD = "/usr/sbin/slapd"
LDAPADD = "/usr/bin/ldapadd"
LDAPMODIFY = "/usr/bin/ldapmodify"
BASE = "dc=musterstadt,dc=example"
ROOT_DN = f"cn=admin,{BASE}"
ROOT_PW = "slapd-admin-secret"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
DEMO_PASSWORD = "Verzeichnis-2026"
PLACEHOLDER = f"cn=platzhalter,{BASE}"

# uid, given name, surname, phone, department
STAFF = [
    ("anna.schmidt", "Anna", "Schmidt", "+49 30 1234-101", "Leistung"),
    ("bernd.keller", "Bernd", "Keller", "+49 30 1234-102", "Leistung"),
    ("carla.neu", "Carla", "Neu", "+49 30 1234-103", "Empfang"),
    ("dieter.wache", "Dieter", "Wache", "+49 30 1234-104", "Sicherheit"),
]
# cn → members (people by uid, groups by "group:" + cn). jc-sachbearbeitung holds a team group
# (nested); carla.neu is in no mapped group.
GROUPS_SPEC = {
    "jc-team-leistung-1": ["anna.schmidt", "bernd.keller"],
    "jc-sachbearbeitung": ["group:jc-team-leistung-1"],
    "jc-teamleitung-leistung-1": ["bernd.keller"],
    "jc-sicherheitsdienst": ["dieter.wache"],
    "bk-alle": ["anna.schmidt", "bernd.keller", "carla.neu", "dieter.wache"],
}


def person_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def group_dn(cn: str) -> str:
    return f"cn={cn},{GROUPS}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_ldif() -> str:
    entries = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: musterstadt\no: Musterstadt",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
    ]
    for uid, given, surname, phone, department in STAFF:
        entries.append(
            f"dn: {person_dn(uid)}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {given} {surname}\n"
            f"givenName: {given}\nsn: {surname}\nmail: {uid}@musterstadt.example\n"
            f"telephoneNumber: {phone}\ndepartmentNumber: {department}\nuserPassword: {DEMO_PASSWORD}")
    # Member groups first, so the memberof overlay sees the nested group when it is added.
    for cn in sorted(GROUPS_SPEC, key=lambda c: any(m.startswith("group:") for m in GROUPS_SPEC[c])):
        members = "\n".join(
            f"member: {group_dn(m[6:]) if m.startswith('group:') else person_dn(m)}" for m in GROUPS_SPEC[cn])
        # groupOfNames needs one member at least: a placeholder keeps a group valid once emptied.
        entries.append(f"dn: {group_dn(cn)}\nobjectClass: groupOfNames\ncn: {cn}\n{members}\n"
                       f"member: {PLACEHOLDER}")
    return "\n\n".join(entries) + "\n"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key) that the client trusts as its CA file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.crt", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Slapd:
    folder: Path
    require_tls: bool = False

    def __post_init__(self):
        self.port = _free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.ca_file: Path | None = None

    def config(self) -> str:
        tls = ""
        if self.require_tls:
            cert, key = _self_signed(self.folder)
            self.ca_file = cert
            # Every operation but StartTLS itself needs a TLS layer (simple binds included).
            tls = f"TLSCertificateFile {cert}\nTLSCertificateKeyFile {key}\nsecurity tls=1\n"
        return (
            "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n"
            "include /etc/ldap/schema/inetorgperson.schema\ninclude /etc/ldap/schema/nis.schema\n"
            "modulepath /usr/lib/ldap\nmoduleload back_mdb\nmoduleload memberof\n"
            f"pidfile {self.folder}/slapd.pid\nargsfile {self.folder}/slapd.args\n{tls}"
            f"database mdb\nmaxsize 10485760\nsuffix \"{BASE}\"\nrootdn \"{ROOT_DN}\"\n"
            f"rootpw {ROOT_PW}\ndirectory {self.folder}/data\n"
            "overlay memberof\nmemberof-refint TRUE\n"
            # People read their own entry; everything else is read by bound users only.
            "access to attrs=userPassword by self write by anonymous auth by * none\n"
            "access to * by users read by * none\n"
        )

    def start(self) -> Slapd:
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        conf = self.folder / "slapd.conf"
        conf.write_text(self.config())
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(conf), "-h", self.uri + "/", "-d", "0"],
            stdout=(self.folder / "slapd.log").open("ab"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("slapd exited: " + (self.folder / "slapd.log").read_text()[-2000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("slapd did not start within 20 s")
        self.modify(demo_ldif(), add=True)
        return self

    def modify(self, ldif: str, *, add: bool = False) -> None:
        """Change the directory as its administrator would (ldapadd / ldapmodify)."""
        command = [LDAPADD if add else LDAPMODIFY, "-x", "-H", self.uri, "-D", ROOT_DN, "-w", ROOT_PW]
        env = None
        if self.require_tls:
            command.insert(1, "-ZZ")
            env = {"LDAPTLS_CACERT": str(self.ca_file)}
        done = subprocess.run(command, input=ldif.encode(), capture_output=True, env=env, check=False)
        if done.returncode:
            raise RuntimeError(f"{command[0]} failed: {done.stderr.decode()}")

    def remove_member(self, group_cn: str, uid: str) -> None:
        self.modify(f"dn: {group_dn(group_cn)}\nchangetype: modify\ndelete: member\n"
                    f"member: {person_dn(uid)}\n")

    def delete_person(self, uid: str) -> None:
        self.modify(f"dn: {person_dn(uid)}\nchangetype: delete\n")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def available() -> bool:
    return bool(shutil.which(SLAPD)) and bool(shutil.which(LDAPADD))
