"""`bankon cert inspect` on generated PKCS#12 files: fields, warnings and every refusal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from bankon_cli.signing import describe_certificate
from tests.certs import (
    gost_container_bytes,
    make_ca,
    make_leaf,
    openssl_available,
    write_legacy_rc2_p12,
    write_p12,
)
from tests.conftest import FIXED_NOW, invoke

PASSPHRASE = "секретная фраза ЭЦП"


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):
    for name in ("BANKON_CONFIG", "BANKON_DATABASE_URL", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BANKON_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("BANKON_NOW", FIXED_NOW.isoformat())
    monkeypatch.setenv("P12_PASS", PASSPHRASE)


@pytest.fixture(scope="module")
def ca():
    return make_ca()


@pytest.fixture(scope="module")
def leaf(ca):
    return make_leaf(ca)


def test_inspect_json_has_every_field(tmp_path, leaf):
    path = write_p12(tmp_path / "client.p12", leaf, PASSPHRASE)
    result = invoke("cert", "inspect", str(path), "--password-env", "P12_PASS", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    info = describe_certificate(leaf.cert)
    assert data == {
        "holder_name": "Игнатьев Валентин Петрович",
        "common_name": 'Акционерное общество "Р-Фарм"',
        "organisation": 'Акционерное общество "Р-Фарм"',
        "organisation_inn": "7726311464",
        "holder_inn": "772612345678",
        "ogrn": "1037726001234",
        "ogrnip": None,
        "snils": "11223344595",
        "title": "Генеральный директор",
        "email": "info@r-pharm.com",
        "issuer": "Тестовый УЦ Банкон",
        "serial_number": info.serial_number,
        "not_before": "2026-11-03T12:00:00+00:00",
        "not_after": "2027-11-03T12:00:00+00:00",
        "days_left": 335,
        "key_type": "ECDSA",
        "key_size": 256,
        "key_curve": "secp256r1",
        "key_usage": ["digitalSignature", "nonRepudiation"],
        "sha1_thumbprint": info.sha1_thumbprint,
        "sha256_fingerprint": info.sha256_fingerprint,
        "warnings": [],
        "chain_length": 1,
    }
    assert PASSPHRASE not in result.stdout + result.stderr


def test_inspect_table_for_people(tmp_path, leaf):
    path = write_p12(tmp_path / "client.p12", leaf, PASSPHRASE)
    result = invoke("cert", "inspect", str(path), "--password-env", "P12_PASS")
    assert result.exit_code == 0, result.stderr
    lines = {" ".join(line.split()[:3]) for line in result.stdout.splitlines()}
    assert "ИНН организации 7726311464" in lines
    assert "ИНН владельца 772612345678" in lines
    assert "Должность Генеральный директор" in lines
    assert "Действует по 03.11.2027 12:00 UTC (осталось 335 дн.)" in " ".join(result.stdout.split())
    assert describe_certificate(leaf.cert).sha1_thumbprint in result.stdout
    assert "цифровая подпись, неотрекаемость" in result.stdout


def test_inspect_warns_about_an_expired_certificate(tmp_path, ca):
    issued = make_leaf(ca, not_after=FIXED_NOW - timedelta(days=10))
    path = write_p12(tmp_path / "old.p12", issued, "")
    result = invoke("cert", "inspect", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["warnings"] == [
        {"code": "expired", "message": "Срок действия истёк 23.11.2026"}
    ]
    table = invoke("cert", "inspect", str(path))
    assert "Внимание Срок действия истёк 23.11.2026" in " ".join(table.stdout.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--password-env", "WRONG_PASS"],
            "Ошибка: Файл сертификата: client.p12 — неверный пароль (проверьте раскладку и "
            "регистр; файл без пароля открывается пустым паролем)\n",
        ),
        (
            [],
            "Ошибка: Файл сертификата: client.p12 защищён паролем: передайте его через "
            "--password-env ПЕРЕМЕННАЯ\n",
        ),
        (
            ["--password-env", "NOT_SET_ANYWHERE"],
            "Ошибка: --password-env: переменная окружения NOT_SET_ANYWHERE не задана\n",
        ),
    ],
)
def test_passphrase_problems(tmp_path, leaf, monkeypatch, args, message):
    monkeypatch.setenv("WRONG_PASS", "не тот")
    path = write_p12(tmp_path / "client.p12", leaf, PASSPHRASE)
    result = invoke("cert", "inspect", str(path), *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)


def test_missing_and_corrupt_files(tmp_path):
    missing = invoke("cert", "inspect", str(tmp_path / "nope.p12"))
    assert (missing.exit_code, missing.stderr) == (
        2,
        f"Ошибка: Файл сертификата: {tmp_path / 'nope.p12'} не найден\n",
    )
    broken = tmp_path / "broken.pfx"
    broken.write_bytes(b"\x30\x82\x05\x00not a pkcs12 file at all")
    result = invoke("cert", "inspect", str(broken), "--password-env", "P12_PASS")
    assert (result.exit_code, result.stderr) == (
        2,
        "Ошибка: Файл сертификата: broken.pfx — файл повреждён или не является контейнером "
        "PKCS#12 (.p12/.pfx)\n",
    )


def test_gost_container_is_refused_naming_supported_kinds(tmp_path):
    path = tmp_path / "cryptopro.pfx"
    path.write_bytes(gost_container_bytes())
    result = invoke("cert", "inspect", str(path), "--password-env", "P12_PASS")
    assert (result.exit_code, result.stderr) == (
        2,
        "Ошибка: Файл сертификата: cryptopro.pfx — контейнер с ключом ГОСТ Р 34.10-2012 "
        "(экспорт КриптоПро) не поддерживается. bankon подписывает сертификатами с ключами RSA "
        "и ECDSA в файлах PKCS#12 (.p12/.pfx)\n",
    )


needs_openssl = pytest.mark.skipif(not openssl_available(), reason="openssl command not found")


@needs_openssl
def test_legacy_rc2_file_that_opens_is_flagged(tmp_path, leaf):
    path = write_legacy_rc2_p12(tmp_path / "old.pfx", leaf, PASSPHRASE)
    result = invoke("cert", "inspect", str(path), "--password-env", "P12_PASS", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["warnings"] == [
        {
            "code": "legacy_protection",
            "message": "Файл защищён устаревшим алгоритмом RC2 40 бит",
        }
    ]


@needs_openssl
def test_legacy_rc2_file_refused_where_the_library_cannot_read_it(tmp_path, leaf):
    path = write_legacy_rc2_p12(tmp_path / "old.pfx", leaf, PASSPHRASE)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bankon_cli.main",
            "cert",
            "inspect",
            str(path),
            "--password-env",
            "P12_PASS",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "CRYPTOGRAPHY_OPENSSL_NO_LEGACY": "1"},
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "Ошибка: Файл сертификата: old.pfx — защищён устаревшим алгоритмом RC2 40 бит, который "
        "библиотека cryptography не читает (так сохраняли старые программы экспорта). "
        "Экспортируйте сертификат заново с шифрованием AES-256\n"
    )
