"""Real SMTP servers on loopback (aiosmtpd) for tests: normal, failing, TLS, SMTPUTF8.

Import the fixtures into a test module (`from tests.smtp_servers import smtp_server, ...`) or
start a server by hand with `SmtpServer(...)` as a context manager. Every server records what
it accepted in `.messages`, so tests count deliveries instead of trusting the sender.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    smtputf8: bool
    mail_options: tuple[str, ...] = ()

    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def text(self) -> str:
        body = self.message().get_body(preferencelist=("plain",))
        assert body is not None
        return str(body.get_content())


@dataclass
class Behaviour:
    """What the server does: by default accept everything.

    - `temporary_failures`: answer DATA with 451 this many times, then accept.
    - `always_temporary`: answer every DATA with 451 (server in trouble for the whole test).
    - `reject_recipients`: addresses (lower case) refused at RCPT with 550 (mailbox unknown).
    - `reject_all`: answer every DATA with 554 (permanent policy rejection).
    - `block_data`: an Event; DATA waits until it is set (to kill a client mid-send).
    """

    temporary_failures: int = 0
    always_temporary: bool = False
    reject_recipients: set[str] = field(default_factory=set)
    reject_all: bool = False
    block_data: threading.Event | None = None


class RecordingHandler:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.messages: list[Received] = []
        self.data_commands = 0
        self.connections = 0
        self._lock = threading.Lock()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.behaviour.reject_recipients:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        with self._lock:
            self.data_commands += 1
            if self.behaviour.temporary_failures > 0:
                self.behaviour.temporary_failures -= 1
                return "451 4.3.0 Temporary local problem, try again later"
        if self.behaviour.always_temporary:
            return "451 4.3.0 Temporary local problem, try again later"
        if self.behaviour.reject_all:
            return "554 5.7.1 Message rejected by policy"
        if self.behaviour.block_data is not None:
            while not self.behaviour.block_data.is_set():
                await asyncio.sleep(0.05)
        content = envelope.original_content or envelope.content
        with self._lock:
            self.messages.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    data=bytes(content),
                    smtputf8=bool(envelope.smtp_utf8),
                    mail_options=tuple(envelope.mail_options),
                )
            )
        return "250 2.0.0 Message accepted"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class TlsFiles:
    """A throw-away CA and a `localhost` certificate it signed (PEM files)."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_tls_files(folder: Path) -> TlsFiles:
    """Generate the CA and the server certificate with `cryptography` (no files shipped)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bankon test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
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
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    files.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1: `tls` is none, starttls or ssl (implicit TLS)."""

    def __init__(
        self,
        behaviour: Behaviour | None = None,
        *,
        tls: str = "none",
        tls_files: TlsFiles | None = None,
        smtputf8: bool = False,
    ) -> None:
        self.handler = RecordingHandler(behaviour or Behaviour())
        self.host = "127.0.0.1"
        self.port = free_port()
        kwargs: dict[str, Any] = {"enable_SMTPUTF8": smtputf8, "ready_timeout": 5.0}
        if tls in ("starttls", "ssl"):
            assert tls_files is not None, "a TLS server needs tls_files"
            if tls == "starttls":
                kwargs["tls_context"] = tls_files.server_context()
                kwargs["require_starttls"] = False
            else:
                kwargs["ssl_context"] = tls_files.server_context()
        self.tls = tls
        self._kwargs = kwargs
        self.controller = Controller(self.handler, hostname=self.host, port=self.port, **kwargs)

    @property
    def messages(self) -> list[Received]:
        return list(self.handler.messages)

    def start(self) -> SmtpServer:
        # Another test process may take the free port between our look and our bind: retry.
        for attempt in range(5):
            try:
                self.controller.start()
                return self
            except (OSError, RuntimeError):
                if attempt == 4:
                    raise
                self.port = free_port()
                self.controller = Controller(
                    self.handler, hostname=self.host, port=self.port, **self._kwargs
                )
        return self

    def stop(self) -> None:
        if self.handler.behaviour.block_data is not None:
            self.handler.behaviour.block_data.set()
        self.controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def config_toml(self, *, security: str | None = None, timeout: int = 5, **mail: Any) -> str:
        """A bankon config that delivers through this server (for subprocess tests)."""
        security = security or ("none" if self.tls == "none" else self.tls)
        extra = "".join(f"{key} = {value!r}\n" for key, value in mail.items())
        return (
            "[mail]\n"
            'backend = "smtp"\n'
            f"{extra}"
            "[mail.smtp]\n"
            'host = "localhost"\n'
            f"port = {self.port}\n"
            f'security = "{security}"\n'
            f"timeout = {timeout}\n"
        ).replace("'", '"')


def smtp_settings_for(server: SmtpServer, *, security: str | None = None, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    """SmtpSettings pointing at `server` (host `localhost` so certificates verify)."""
    from bankon_cli.config import SmtpSettings

    return SmtpSettings(
        host="localhost",
        port=server.port,
        security=security or ("none" if server.tls == "none" else server.tls),
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def trust_test_ca(tls_files: TlsFiles, monkeypatch: pytest.MonkeyPatch) -> TlsFiles:
    """Make ssl.create_default_context() (and bankon subprocesses) trust the test CA."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files.ca_file))
    return tls_files


def _server_fixture(make: Callable[[], SmtpServer]) -> Iterator[SmtpServer]:
    server = make().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain server that accepts everything."""
    yield from _server_fixture(lambda: SmtpServer())


@pytest.fixture
def smtp_temporary_failure() -> Iterator[SmtpServer]:
    """Answers every DATA with 451 until the test clears `handler.behaviour.always_temporary`."""
    yield from _server_fixture(lambda: SmtpServer(Behaviour(always_temporary=True)))


@pytest.fixture
def smtp_rejecting() -> Iterator[SmtpServer]:
    """Rejects every message with 554 (a permanent failure)."""
    yield from _server_fixture(lambda: SmtpServer(Behaviour(reject_all=True)))


@pytest.fixture
def smtp_no_starttls() -> Iterator[SmtpServer]:
    """A plain server that does not offer STARTTLS."""
    yield from _server_fixture(lambda: SmtpServer())


@pytest.fixture
def smtp_starttls(trust_test_ca: TlsFiles) -> Iterator[SmtpServer]:
    """Offers STARTTLS with a certificate the test CA signed (trusted via SSL_CERT_FILE)."""
    yield from _server_fixture(lambda: SmtpServer(tls="starttls", tls_files=trust_test_ca))


@pytest.fixture
def smtp_ssl(trust_test_ca: TlsFiles) -> Iterator[SmtpServer]:
    """Implicit TLS from the first byte, as on port 465."""
    yield from _server_fixture(lambda: SmtpServer(tls="ssl", tls_files=trust_test_ca))


@pytest.fixture
def smtp_utf8() -> Iterator[SmtpServer]:
    """Offers SMTPUTF8."""
    yield from _server_fixture(lambda: SmtpServer(smtputf8=True))


@pytest.fixture
def smtp_no_utf8() -> Iterator[SmtpServer]:
    """Does not offer SMTPUTF8 (like `smtp_server`; named for tests that rely on it)."""
    yield from _server_fixture(lambda: SmtpServer(smtputf8=False))
