"""Test certificates made on the fly: a small CA, qualified-looking leaves, PKCS#12 files.

Nothing here is committed as a file: every key, certificate and container is generated in the
test's temporary folder.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from tests.conftest import FIXED_NOW, R_PHARM

OID_INN = x509.ObjectIdentifier("1.2.643.3.131.1.1")
OID_INNLE = x509.ObjectIdentifier("1.2.643.100.4")
OID_OGRN = x509.ObjectIdentifier("1.2.643.100.1")
OID_OGRNIP = x509.ObjectIdentifier("1.2.643.100.5")
OID_SNILS = x509.ObjectIdentifier("1.2.643.100.3")

COMPANY_INN = R_PHARM[1]  # 7726311464
HOLDER_INN = "772612345678"
COMPANY_OGRN = "1037726001234"
HOLDER_SNILS = "11223344595"
HOLDER_SURNAME = "Игнатьев"
HOLDER_GIVEN = "Валентин Петрович"
HOLDER_TITLE = "Генеральный директор"
ORGANISATION = 'Акционерное общество "Р-Фарм"'

SIGNING_USAGE = dict(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)
ENCRYPTION_ONLY_USAGE = {
    **SIGNING_USAGE,
    "digital_signature": False,
    "content_commitment": False,
    "key_encipherment": True,
}


@dataclass
class Issued:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    chain: list[x509.Certificate] = field(default_factory=list)

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def _numeric(oid: x509.ObjectIdentifier, value: str) -> x509.NameAttribute:
    return x509.NameAttribute(oid, value, _type=_ASN1Type.NumericString)


def make_ca(name: str = "Тестовый УЦ Банкон", now: datetime = FIXED_NOW) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "RU"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=3650))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(
            x509.KeyUsage(**{**SIGNING_USAGE, "key_cert_sign": True, "crl_sign": True}),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, cert)


def make_leaf(
    ca: Issued,
    *,
    organisation_inn: str | None = COMPANY_INN,
    holder_inn: str | None = HOLDER_INN,
    legacy_inn: bool = False,
    ogrn: str | None = COMPANY_OGRN,
    ogrnip: str | None = None,
    snils: str | None = HOLDER_SNILS,
    title: str | None = HOLDER_TITLE,
    organisation: str | None = ORGANISATION,
    surname: str = HOLDER_SURNAME,
    given_name: str = HOLDER_GIVEN,
    email: str | None = R_PHARM[4],
    key_type: str = "ec",
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key_usage: dict[str, bool] | None = SIGNING_USAGE,
    now: datetime = FIXED_NOW,
) -> Issued:
    """A leaf like a qualified certificate; `legacy_inn` writes the company INN as `00` + INN."""
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    key = (
        rsa.generate_private_key(65537, 2048)
        if key_type == "rsa"
        else ec.generate_private_key(ec.SECP256R1())
    )
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "RU")]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if title:
        attributes.append(x509.NameAttribute(NameOID.TITLE, title))
    attributes += [
        x509.NameAttribute(NameOID.SURNAME, surname),
        x509.NameAttribute(NameOID.GIVEN_NAME, given_name),
        x509.NameAttribute(NameOID.COMMON_NAME, organisation or f"{surname} {given_name}"),
    ]
    if email:
        attributes.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    if legacy_inn and organisation_inn:
        attributes.append(_numeric(OID_INN, "00" + organisation_inn))
    else:
        if organisation_inn and len(organisation_inn) == 10:
            attributes.append(_numeric(OID_INNLE, organisation_inn))
        if holder_inn:
            attributes.append(_numeric(OID_INN, holder_inn))
    if ogrn:
        attributes.append(_numeric(OID_OGRN, ogrn))
    if ogrnip:
        attributes.append(_numeric(OID_OGRNIP, ogrnip))
    if snils:
        attributes.append(_numeric(OID_SNILS, snils))
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=30))
        .not_valid_after(not_after or now + timedelta(days=335))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if key_usage is not None:
        builder = builder.add_extension(x509.KeyUsage(**key_usage), critical=True)
    return Issued(key, builder.sign(ca.key, hashes.SHA256()), [ca.cert])


def p12_bytes(
    issued: Issued,
    passphrase: str = "",
    *,
    protection: str = "aes",
    leaf_first: bool = True,
    extra: list[x509.Certificate] | None = None,
) -> bytes:
    """A PKCS#12 container: `aes` (PBES2, AES-256, SHA-256 MAC), `3des` (legacy) or no passphrase.

    With `leaf_first=False` the leaf is not the container's main certificate: it comes last,
    after the CA, so the reader has to find it by its public key.
    """
    secret = passphrase.encode("utf-8")
    encryption: serialization.KeySerializationEncryption
    if not passphrase:
        encryption = serialization.NoEncryption()
    elif protection == "3des":
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(2048)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())  # noqa: S303 - what old exports use
            .build(secret)
        )
    else:
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(2048)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(secret)
        )
    others = [*issued.chain, *(extra or [])]
    if leaf_first:
        return pkcs12.serialize_key_and_certificates(
            b"bankon-test", issued.key, issued.cert, others or None, encryption
        )
    return pkcs12.serialize_key_and_certificates(
        b"bankon-test", issued.key, None, [*others, issued.cert], encryption
    )


def write_p12(path: Path, issued: Issued, passphrase: str = "", **options: object) -> Path:
    path.write_bytes(p12_bytes(issued, passphrase, **options))  # type: ignore[arg-type]
    return path


def openssl_available() -> bool:
    return shutil.which("openssl") is not None


def write_legacy_rc2_p12(path: Path, issued: Issued, passphrase: str) -> Path:
    """An old-style export (certificates under 40-bit RC2) made by the openssl command."""
    key_file = path.with_suffix(".key")
    cert_file = path.with_suffix(".crt")
    key_file.write_bytes(
        issued.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(issued.cert_pem())
    try:
        subprocess.run(
            [
                "openssl",
                "pkcs12",
                "-export",
                "-legacy",
                "-inkey",
                str(key_file),
                "-in",
                str(cert_file),
                "-out",
                str(path),
                "-passout",
                "env:BANKON_TEST_P12_PASS",
            ],
            check=True,
            capture_output=True,
            env={"BANKON_TEST_P12_PASS": passphrase, "PATH": "/usr/bin:/bin"},
        )
    finally:
        key_file.unlink(missing_ok=True)
    return path


# --- A ГОСТ container, built as CryptoPro exports look ------------------------------------------
# cryptography cannot make ГОСТ keys, so the container is assembled byte by byte: a real PFX
# structure whose key bag is encrypted with ГОСТ 28147-89 under PBES2/PBKDF2-HMAC-Streebog and
# whose MAC is Streebog-512. Its encrypted bytes are random: what bankon must recognise is the
# algorithms, which is all it can look at before refusing.


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        header = bytes([length])
    else:
        size = (length.bit_length() + 7) // 8
        header = bytes([0x80 | size]) + length.to_bytes(size, "big")
    return bytes([tag]) + header + content


def _oid(dotted: str) -> bytes:
    arcs = [int(part) for part in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return _der(0x06, bytes(body))


def _seq(*items: bytes) -> bytes:
    return _der(0x30, b"".join(items))


def _int(value: int) -> bytes:
    return _der(0x02, value.to_bytes((value.bit_length() + 8) // 8, "big"))


def gost_container_bytes() -> bytes:
    import os

    pbkdf2 = _seq(
        _oid("1.2.840.113549.1.5.12"),
        _seq(
            _der(0x04, os.urandom(32)), _int(2000), _int(32), _seq(_oid("1.2.643.7.1.1.4.2"))
        ),  # HMAC-Streebog-512
    )
    gost_cipher = _seq(
        _oid("1.2.643.2.2.21"), _seq(_der(0x04, os.urandom(8)), _oid("1.2.643.7.1.2.5.1.1"))
    )
    shrouded = _seq(
        _seq(_oid("1.2.840.113549.1.5.13"), _seq(pbkdf2, gost_cipher)),
        _der(0x04, os.urandom(96)),
    )
    bag = _seq(_oid("1.2.840.113549.1.12.10.1.2"), _der(0xA0, shrouded))
    safe_contents = _seq(bag)
    authenticated_safe = _seq(
        _seq(_oid("1.2.840.113549.1.7.1"), _der(0xA0, _der(0x04, safe_contents)))
    )
    auth_safe = _seq(_oid("1.2.840.113549.1.7.1"), _der(0xA0, _der(0x04, authenticated_safe)))
    mac = _seq(
        _seq(_seq(_oid("1.2.643.7.1.1.2.3"), _der(0x05, b"")), _der(0x04, os.urandom(64))),
        _der(0x04, os.urandom(32)),
        _int(2000),
    )
    return _seq(_int(3), auth_safe, mac)


# --- Onboarding helpers shared by the registration and accreditation tests ---------------------


def registration_link(outbox: Path) -> str:
    """The registration link from the (only) invitation email in the outbox folder."""
    import email
    import email.policy
    import re

    links = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(("plain",))
        assert body is not None
        found = re.search(r"https?://\S+", body.get_content())
        assert found is not None
        links.append(found.group(0))
    assert len(links) == 1, links
    return links[0]


def seed_invited_client(app_ctx: object, *, inn: str = COMPANY_INN) -> str:
    """Agent and АО Р-ФАРМ added through the services, with a fresh link of its invitation.

    The link an email carries is minted at delivery; here one is minted directly, the same way
    (a random token whose SHA-256 is stored), so service tests need no mail delivery.
    """
    from sqlalchemy import select

    from bankon_cli.db.models import Agent, Client, Invitation, InviteToken
    from bankon_cli.services.agents import add_agent, find_agent
    from bankon_cli.services.clients import add_client
    from bankon_cli.services.tokens import new_token, token_hash
    from bankon_cli.services.validation import check_client_fields, require_valid
    from tests.conftest import AGENT_INN, AGENT_NAME

    name, _inn, contact, _region, mail = R_PHARM
    fields = require_valid(
        *check_client_fields(inn=inn, contact_name=contact, short_name=name, email=mail)
    )
    token = new_token()
    with app_ctx.session_factory.begin() as session:  # type: ignore[attr-defined]
        now = app_ctx.clock()  # type: ignore[attr-defined]
        if session.scalar(select(Agent.id).where(Agent.inn == AGENT_INN)) is None:
            add_agent(session, inn=AGENT_INN, name=AGENT_NAME, parent_inn=None, now=now)
        add_client(
            session,
            fields=fields,
            agent=find_agent(session, AGENT_INN),
            settings=app_ctx.settings,  # type: ignore[attr-defined]
            now=now,
            invite=True,
        )
        invitation_id = session.scalar(select(Invitation.id).join(Client).where(Client.inn == inn))
        session.add(
            InviteToken(invitation_id=invitation_id, token_hash=token_hash(token), created_at=now)
        )
    return token


# --- A real terminal for the interactive paths (questionary needs one) --------------------------


class Terminal:
    """Runs bankon on a pseudo-terminal: what a person at the keyboard sees and types."""

    ENTER = "\r"
    DOWN = "\x1b[B"
    CLEAR_LINE = "\x15"

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        import fcntl
        import os
        import struct
        import sys
        import termios

        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bankon_cli.main", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**env, "TERM": "xterm", "NO_COLOR": "1"},
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.raw = b""
        self.seen = 0  # where the next expect() starts looking

    def screen(self) -> str:
        import re

        text = self.raw.decode("utf-8", "replace")
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[=>]|\r", "", text)

    def _read(self, timeout: float) -> bool:
        import os
        import select

        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:
            chunk = b""
        self.raw += chunk
        return bool(chunk)

    def expect(self, text: str, timeout: float = 30) -> None:
        """Wait until `text` appears after what earlier calls already matched.

        Answers must be sent only once their prompt is up: keys typed ahead land while the
        terminal still echoes (between two prompts), as they would for a person.
        """
        import time

        deadline = time.monotonic() + timeout
        while (found := self.screen().find(text, self.seen)) < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._read(min(remaining, 1.0)):
                raise AssertionError(f"{text!r} never shown; screen:\n{self.screen()[-3000:]}")
        self.seen = found + len(text)

    def send(self, keys: str) -> None:
        import os
        import time

        os.write(self.master, keys.encode("utf-8"))
        time.sleep(0.15)  # prompt_toolkit reads keys in batches; one answer at a time

    def finish(self, timeout: float = 60) -> int:
        import os
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read(0.5):
            if self.process.poll() is not None and not self._read(0.2):
                break
        code = self.process.wait(timeout=max(deadline - time.monotonic(), 1))
        os.close(self.master)
        return code
