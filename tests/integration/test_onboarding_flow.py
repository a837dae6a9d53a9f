"""The whole onboarding flow as an operator runs it, from `client add` to `accredit`.

Every step is the real `bankon` program in its own process, on SQLite and on PostgreSQL; the
registration link is read from the invitation email in the outbox folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.certs import make_ca, make_leaf, openssl_available, registration_link, write_p12
from tests.conftest import AGENT_INN, AGENT_NAME, FIXED_NOW, R_PHARM

PASSPHRASE = "Фраза к ключу: 2026"
PASSWORD = "Пароль-для-портала-9"


def bankon(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bankon_cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def ok(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = bankon(env, *args)
    assert result.returncode == 0, (args, result.stderr)
    return result


def row_of(env: dict[str, str], inn: str) -> dict:
    listing = json.loads(ok(env, "client", "list", "--format", "json").stdout)
    return next(client for client in listing["clients"] if client["inn"] == inn)


def test_client_add_to_accredit(env, home: Path, tmp_path: Path):
    env = {
        **env,
        "BANKON_NOW": FIXED_NOW.isoformat(),
        "P12_PASS": PASSPHRASE,
        "ACCOUNT_PASS": PASSWORD,
    }
    name, inn, contact, region, email = R_PHARM
    ca = make_ca()
    p12 = write_p12(tmp_path / "r-pharm.pfx", make_leaf(ca), PASSPHRASE, leaf_first=False)

    # 1-2. The agent adds the client; it is «На рассмотрении» and has an invitation email.
    ok(env, "agent", "add", "--inn", AGENT_INN, "--name", AGENT_NAME)
    ok(env, "client", "add", "--inn", inn, "--contact", contact, "--name", name, "--email", email)
    assert row_of(env, inn)["status_label"] == "На рассмотрении"
    link = registration_link(home / "outbox")

    # The operator checks the certificate the client sent.
    inspected = json.loads(
        ok(env, "cert", "inspect", str(p12), "--password-env", "P12_PASS", "-f", "json").stdout
    )
    assert (inspected["organisation_inn"], inspected["warnings"]) == (inn, [])

    # 3-4. Registration with the certificate: «Игнатьев В.» becomes the full name.
    registered = json.loads(
        ok(
            env,
            "register",
            link,
            "--certificate",
            str(p12),
            "--certificate-password-env",
            "P12_PASS",
            "--phone",
            "+7 495 123 45 67",
            "--login",
            "r-pharm",
            "--password-env",
            "ACCOUNT_PASS",
            "--format",
            "json",
        ).stdout
    )
    assert registered["contact_name"] == "Игнатьев Валентин Петрович"
    assert registered["full_name"] == 'Акционерное общество "Р-Фарм"'
    row = row_of(env, inn)
    assert (row["status"], row["contact_name"], row["region"]) == (
        "pending",
        "Игнатьев Валентин Петрович",
        region,
    )
    assert row["active_applications"] is None

    # The link served once.
    reused = bankon(env, "register", link, "--login", "x-user", "--password-env", "ACCOUNT_PASS")
    assert reused.returncode == 4

    # 5-6. Accreditation signed with the certificate; the position comes from it.
    ok(env, "accredit", inn, "--certificate", str(p12), "--password-env", "P12_PASS")
    row = row_of(env, inn)
    assert (row["status"], row["status_label"], row["active_applications"]) == (
        "attached",
        "Закреплен",
        0,
    )
    table = ok(env, "client", "list").stdout
    assert "Закреплен" in table and "Игнатьев Валентин Петрович" in table
    shown = json.loads(ok(env, "client", "show", inn, "--format", "json").stdout)
    assert [event["kind"] for event in shown["history"]] == [
        "created",
        "invited",
        "registered",
        "registration_failed",
        "attached",
    ]
    assert shown["position"] == "Генеральный директор"

    verified = json.loads(ok(env, "accredit", "verify", inn, "--format", "json").stdout)
    assert verified["valid"] is True
    out = tmp_path / "for-the-bank"
    ok(env, "accredit", "export", inn, "--out", str(out))
    if openssl_available():
        checked = subprocess.run(
            [
                "openssl",
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-noverify",
                "-in",
                str(out / f"accreditation-{inn}.json.p7s"),
                "-content",
                str(out / f"accreditation-{inn}.json"),
                "-out",
                os.devnull,
            ],
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stderr
