"""No passphrase, password, token or private key in any output, the database or its files.

The flow runs with known secrets, including the failures that print messages (wrong
passphrase, reused link, weak password), and with --debug; then every captured output, every
file bankon wrote except the invitation email itself, and the whole database are searched.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from sqlalchemy import MetaData, create_engine, select

from tests.certs import make_ca, make_leaf, registration_link, write_p12
from tests.conftest import AGENT_INN, AGENT_NAME, FIXED_NOW, R_PHARM

PASSPHRASE = "Секретная-фраза-P12-Ω-7781"
PASSWORD = "Тайный-пароль-учётки-4402"


def _run(env: dict[str, str], outputs: list[str], *args: str) -> int:
    result = subprocess.run(
        [sys.executable, "-m", "bankon_cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    outputs += [result.stdout, result.stderr]
    return result.returncode


def _database_bytes(db_url: str, home: Path) -> bytes:
    """The SQLite files as they are on disk, or every value of every PostgreSQL table."""
    if db_url.startswith("sqlite"):
        return b"".join(path.read_bytes() for path in sorted(home.glob("*.db*")))
    engine = create_engine(db_url)
    metadata = MetaData()
    chunks: list[bytes] = []
    with engine.connect() as connection:
        schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
        metadata.reflect(connection, schema=schema)
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    chunks.append(value if isinstance(value, bytes) else str(value).encode())
    engine.dispose()
    assert chunks, "the dump found nothing: wrong schema?"
    return b"\n".join(chunks)


def test_no_secret_is_printed_or_stored(env, home: Path, db_url: str, tmp_path: Path):
    env = {
        **env,
        "BANKON_NOW": FIXED_NOW.isoformat(),
        "P12_PASS": PASSPHRASE,
        "ACCOUNT_PASS": PASSWORD,
        "WRONG_PASS": "не-тот-пароль",
        "WEAK_PASS": "short",
    }
    name, inn, contact, _region, email = R_PHARM
    leaf = make_leaf(make_ca())
    p12 = write_p12(tmp_path / "client.p12", leaf, PASSPHRASE)
    outputs: list[str] = []
    run = lambda *args: _run(env, outputs, *args)  # noqa: E731

    assert run("agent", "add", "--inn", AGENT_INN, "--name", AGENT_NAME) == 0
    assert (
        run("client", "add", "--inn", inn, "--contact", contact, "--name", name, "--email", email)
        == 0
    )
    link = registration_link(home / "outbox")
    token = link.rsplit("=", 1)[1]
    assert run("--debug", "cert", "inspect", str(p12), "--password-env", "WRONG_PASS") == 2
    assert run("cert", "inspect", str(p12), "--password-env", "P12_PASS", "-f", "json") == 0
    assert run("--debug", "register", link, "--login", "rpharm", "--password-env", "WEAK_PASS") == 2
    assert (
        run(
            "register",
            link,
            "--certificate",
            str(p12),
            "--certificate-password-env",
            "P12_PASS",
            "--login",
            "rpharm",
            "--password-env",
            "ACCOUNT_PASS",
            "-f",
            "json",
        )
        == 0
    )
    assert (
        run("--debug", "register", token, "--login", "other", "--password-env", "ACCOUNT_PASS") == 4
    )
    assert run("accredit", inn, "--certificate", str(p12), "--password-env", "WRONG_PASS") == 2
    assert (
        run("accredit", inn, "--certificate", str(p12), "--password-env", "P12_PASS", "-f", "json")
        == 0
    )
    assert run("accredit", "verify", inn, "-f", "json") == 0
    assert run("accredit", "export", inn, "--out", str(home / "export")) == 0
    assert run("client", "show", inn, "-f", "json") == 0
    assert run("client", "list", "-f", "csv") == 0

    private_der = leaf.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    private_scalar = leaf.key.private_numbers().private_value.to_bytes(32, "big")
    secrets = {
        "passphrase": PASSPHRASE.encode(),
        "passphrase as BMPString": PASSPHRASE.encode("utf-16-be"),
        "password": PASSWORD.encode(),
        "token": token.encode(),
        "private key": private_der,
        "private scalar": private_scalar,
        "private scalar (hex)": private_scalar.hex().encode(),
    }
    written = [
        path
        for path in home.rglob("*")
        if path.is_file() and path.suffix != ".eml" and not path.name.startswith("bankon.db")
    ]
    assert {path.suffix for path in written} >= {".json", ".p7s", ".cer"}
    places = {
        "output": "\n".join(outputs).encode(),
        "database": _database_bytes(db_url, home),
        **{str(path.relative_to(home)): path.read_bytes() for path in written},
    }
    leaks = [
        f"{secret} in {place}"
        for place, content in places.items()
        for secret, needle in secrets.items()
        if needle in content
    ]
    assert leaks == []
    # The token did reach its one legitimate place: the invitation email.
    assert any(token in path.read_text() for path in (home / "outbox").glob("*.eml"))
