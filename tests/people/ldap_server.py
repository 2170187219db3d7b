"""A real OpenLDAP directory for the sign-in tests.

``slapd`` (Debian's, modules from /usr/lib/ldap) is started as a subprocess on free
loopback ports with a generated ``slapd.conf`` (one mdb database, ACLs that let only the
service account read and anyone bind), after ``slapadd`` has loaded a generated
directory: people with display names, e-mail, mobile numbers and departments, a service
account, a group of Gongjian's users (``member``, and ``memberOf`` computed by the
``dynlist`` overlay) and one of ``uniqueMember``. It listens three ways: plain
ldap:// (StartTLS offered) on 127.0.0.1, and ldaps:// on ``localhost``. Its certificate
is made here by a made-up authority and names ``localhost`` only, so a client that
connects to 127.0.0.1 over TLS must refuse it on the host name; a second authority signs
nothing and stands for a wrong ``LDAP_CA_FILE``.

``scripts/system-deps.sh`` installs slapd and ldap-utils where they are missing.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import ldap3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
SCHEMAS = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")

BASE = "dc=bank,dc=test"
ROOT_DN = f"cn=admin,{BASE}"
ROOT_PASSWORD = "root-secret"
SERVICE_DN = f"cn=gongjian,ou=services,{BASE}"
SERVICE_PASSWORD = "service-secret"
GROUP = f"cn=gongjian-users,ou=groups,{BASE}"
UNIQUE_GROUP = f"cn=gongjian-unique,ou=groups,{BASE}"
PASSWORD = "Dir-Passw0rd!"
# The certificates hold whenever the tests run: no reading of the wall clock.
VALID_FROM = datetime(2000, 1, 1, tzinfo=UTC)
VALID_UNTIL = datetime(2099, 12, 31, tzinfo=UTC)


@dataclass
class DirectoryPerson:
    uid: str
    cn: str
    sn: str
    mail: str = ""
    display_name: str = ""
    mobile: str = ""
    department: str = ""
    in_group: bool = True
    password: str = PASSWORD

    @property
    def dn(self) -> str:
        return f"uid={self.uid},ou=people,{BASE}"


PEOPLE = [
    DirectoryPerson(
        "zhangsan",
        "Zhang San",
        "Zhang",
        "zhangsan@bank.test",
        "张三",
        "13800138000",
        "零售银行部",
    ),
    DirectoryPerson("lisi", "李四", "李", "LiSi@Bank.test", department="没有这个部门"),
    DirectoryPerson("zhaoliu", "赵六", "赵", "zhaoliu@bank.test", "赵六", "13900139000"),
    DirectoryPerson("wangwu", "王五", "王", "wangwu@bank.test", "王五", in_group=False),
    # The directory has an "admin" too, with its own password: the local administrator
    # never signs in through it.
    DirectoryPerson("admin", "Directory Admin", "Admin", "diradmin@bank.test", "目录管理员"),
    DirectoryPerson("nomail", "无邮箱", "无"),
]


def _ssha(password: str) -> str:
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324 (LDAP's {SSHA})
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _ldif(people: list[DirectoryPerson]) -> str:
    blocks = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Bank\ndc: bank",
        f"dn: ou=people,{BASE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: ou=groups,{BASE}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: ou=services,{BASE}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject"
        f"\ncn: gongjian\nuserPassword: {_ssha(SERVICE_PASSWORD)}",
    ]
    for p in people:
        lines = [
            f"dn: {p.dn}",
            "objectClass: inetOrgPerson",
            f"uid: {p.uid}",
            f"cn:: {_b64(p.cn)}",
            f"sn:: {_b64(p.sn)}",
            f"userPassword: {_ssha(p.password)}",
        ]
        if p.mail:
            lines.append(f"mail: {p.mail}")
        if p.display_name:
            lines.append(f"displayName:: {_b64(p.display_name)}")
        if p.mobile:
            lines.append(f"mobile: {p.mobile}")
        if p.department:
            lines.append(f"departmentNumber:: {_b64(p.department)}")
        blocks.append("\n".join(lines))
    members = [p.dn for p in people if p.in_group]
    blocks.append(
        f"dn: {GROUP}\nobjectClass: groupOfNames\ncn: gongjian-users\n"
        + "\n".join(f"member: {dn}" for dn in members)
    )
    blocks.append(
        f"dn: {UNIQUE_GROUP}\nobjectClass: groupOfUniqueNames\ncn: gongjian-unique\n"
        f"uniqueMember: {people[0].dn}"
    )
    return "\n\n".join(blocks) + "\n"


def _slapd_conf(folder: Path, tls: dict[str, Path]) -> str:
    return f"""
include {SCHEMAS}/core.schema
include {SCHEMAS}/cosine.schema
include {SCHEMAS}/inetorgperson.schema
include {SCHEMAS}/dyngroup.schema
modulepath {MODULES}
moduleload back_mdb
moduleload dynlist
pidfile {folder}/slapd.pid
argsfile {folder}/slapd.args
TLSCACertificateFile {tls["ca"]}
TLSCertificateFile {tls["cert"]}
TLSCertificateKeyFile {tls["key"]}

database mdb
suffix "{BASE}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {folder}/db
maxsize 104857600
overlay dynlist
dynlist-attrset groupOfURLs memberURL member+memberOf@groupOfNames
access to attrs=userPassword
    by anonymous auth
    by * none
access to *
    by dn.exact="{SERVICE_DN}" read
    by self read
    by * none
"""


# --- certificates -------------------------------------------------------------------------


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _authority(common: str):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_UNTIL)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _server_certificate(ca_key, ca_cert):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_UNTIL)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write_certificates(folder: Path) -> dict[str, Path]:
    ca_key, ca_cert = _authority("Gongjian Test Directory CA")
    key, cert = _server_certificate(ca_key, ca_cert)
    _, wrong_ca = _authority("Some Other CA")
    paths = {
        "ca": folder / "ca.pem",
        "wrong_ca": folder / "wrong-ca.pem",
        "cert": folder / "server.pem",
        "key": folder / "server.key",
    }
    paths["ca"].write_bytes(_pem(ca_cert))
    paths["wrong_ca"].write_bytes(_pem(wrong_ca))
    paths["cert"].write_bytes(_pem(cert))
    paths["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    paths["key"].chmod(0o600)
    return paths


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on (the directory-down test points there)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"slapd stopped: {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("slapd did not start listening")


@dataclass
class Directory:
    """The running directory: addresses, the files a client needs, its people."""

    port: int
    tls_port: int
    files: dict[str, Path]
    people: list[DirectoryPerson] = field(default_factory=lambda: list(PEOPLE))

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://localhost:{self.tls_port}"

    def settings(self, **overrides) -> dict:
        """The app's LDAP_* settings for this directory (plain ldap://, no TLS)."""
        values = {
            "LDAP_URL": self.url,
            "LDAP_START_TLS": False,
            "LDAP_CA_FILE": "",
            "LDAP_BIND_DN": SERVICE_DN,
            "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
            "LDAP_BASE_DN": f"ou=people,{BASE}",
            "LDAP_USER_FILTER": "(&(objectClass=inetOrgPerson)(uid={username}))",
            "LDAP_REQUIRED_GROUP": GROUP,
            "LDAP_GROUP_MEMBERSHIP": "member",
            "LDAP_ATTR_USERNAME": "uid",
            "LDAP_ATTR_DISPLAY_NAME": "displayName,cn",
            "LDAP_ATTR_EMAIL": "mail",
            "LDAP_ATTR_MOBILE": "mobile",
            "LDAP_ATTR_ORG_UNIT": "departmentNumber,ou",
            "LDAP_TIMEOUT": 3,
        }
        values.update(overrides)
        return values

    def modify(self, dn: str, **attributes: str | None) -> None:
        """Change (or, with None, remove) attributes of an entry, as the directory's
        administrator would."""
        changes = {
            name: [(ldap3.MODIFY_DELETE, [])]
            if value is None
            else [(ldap3.MODIFY_REPLACE, [value])]
            for name, value in attributes.items()
        }
        server = ldap3.Server("127.0.0.1", port=self.port, get_info=ldap3.NONE)
        connection = ldap3.Connection(server, ROOT_DN, ROOT_PASSWORD, auto_bind=True)
        try:
            assert connection.modify(dn, changes), connection.result
        finally:
            connection.unbind()

    def person(self, uid: str) -> DirectoryPerson:
        return next(p for p in self.people if p.uid == uid)


@pytest.fixture(scope="session")
def directory(tmp_path_factory):
    """A running slapd with the generated directory, stopped after the session."""
    if not (os.path.exists(SLAPD) and os.path.exists(SLAPADD)):
        pytest.fail("slapd is not installed: run scripts/system-deps.sh")
    folder = tmp_path_factory.mktemp("slapd")
    (folder / "db").mkdir()
    files = _write_certificates(folder)
    conf = folder / "slapd.conf"
    conf.write_text(_slapd_conf(folder, files))
    data = folder / "directory.ldif"
    data.write_text(_ldif(PEOPLE), encoding="utf-8")
    subprocess.run([SLAPADD, "-f", str(conf), "-l", str(data)], check=True, capture_output=True)
    port, tls_port = free_port(), free_port()
    log = folder / "slapd.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                SLAPD,
                "-d",
                "0",
                "-f",
                str(conf),
                "-h",
                f"ldap://127.0.0.1:{port}/ ldaps://localhost:{tls_port}/",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    try:
        _wait_for(process, port, log)
        _wait_for(process, tls_port, log)
        yield Directory(port=port, tls_port=tls_port, files=files)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def ldap(app, directory):
    """The app signs in with the directory for one test; ``ldap(**overrides)`` changes
    settings (LDAP_URL, LDAP_START_TLS, …) within it."""
    saved = {key: app.config.get(key) for key in directory.settings()}
    app.config.update(directory.settings())

    def configure(**overrides) -> Directory:
        app.config.update(overrides)
        return directory

    yield configure
    app.config.update(saved)
