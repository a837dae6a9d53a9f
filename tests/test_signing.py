"""The signing helper on real PKCS#12 files and real CMS signatures made in the test."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta

import pytest

from bankon_cli.signing import (
    CertificateFileError,
    SignatureInvalid,
    der,
    describe_certificate,
    load_signing_identity,
    sign_detached,
    verify_detached,
)
from bankon_cli.signing.certificate import split_inns
from bankon_cli.signing.pkcs12 import check_mac, diagnose, select_signing_certificate
from tests.certs import (
    COMPANY_INN,
    COMPANY_OGRN,
    ENCRYPTION_ONLY_USAGE,
    HOLDER_INN,
    HOLDER_SNILS,
    HOLDER_TITLE,
    ORGANISATION,
    gost_container_bytes,
    make_ca,
    make_leaf,
    openssl_available,
    p12_bytes,
    write_legacy_rc2_p12,
)
from tests.conftest import FIXED_NOW

PASSPHRASE = "Пароль к ЭЦП: ёжик-🦔"


@pytest.fixture(scope="module")
def ca():
    return make_ca()


@pytest.fixture(scope="module")
def leaf(ca):
    return make_leaf(ca)


# --- Certificate fields ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inn", "innle", "organisation_inn", "holder_inn"),
    [
        ("772612345678", "7726311464", "7726311464", "772612345678"),  # since 2021: both
        ("007726311464", None, "7726311464", None),  # older company certificates
        ("228999331903", None, "228999331903", "228999331903"),  # ИП: one INN for both
        (None, "7726311464", "7726311464", None),
        (None, None, None, None),
    ],
)
def test_split_inns_reads_innle_and_legacy_double_zero(inn, innle, organisation_inn, holder_inn):
    assert split_inns(inn, innle) == (organisation_inn, holder_inn)


def test_describe_reads_russian_attributes_by_oid(leaf):
    info = describe_certificate(leaf.cert)
    assert info.holder_name == "Игнатьев Валентин Петрович"
    assert info.organisation == ORGANISATION
    assert info.organisation_inn == COMPANY_INN
    assert info.holder_inn == HOLDER_INN
    assert info.ogrn == COMPANY_OGRN
    assert info.ogrnip is None
    assert info.snils == HOLDER_SNILS
    assert info.title == HOLDER_TITLE
    assert info.issuer == "Тестовый УЦ Банкон"
    assert (info.key_type, info.key_size, info.key_curve) == ("ECDSA", 256, "secp256r1")
    assert info.key_usage == ("digitalSignature", "nonRepudiation")
    assert info.can_sign


def test_describe_legacy_certificate_takes_company_inn_from_double_zero_inn(ca):
    info = describe_certificate(make_leaf(ca, legacy_inn=True, key_type="rsa").cert)
    assert (info.organisation_inn, info.holder_inn) == (COMPANY_INN, None)
    assert (info.key_type, info.key_size, info.key_curve) == ("RSA", 2048, None)


def test_describe_individual_entrepreneur_certificate(ca):
    issued = make_leaf(
        ca,
        organisation_inn="228999331903",
        holder_inn="228999331903",
        ogrn=None,
        ogrnip="304220000012345",
        organisation=None,
        surname="Тестов",
        given_name="Андрей Юрьевич",
    )
    info = describe_certificate(issued.cert)
    assert info.organisation_inn == "228999331903"
    assert info.ogrnip == "304220000012345"
    assert info.ogrn_any == "304220000012345"
    assert info.organisation is None
    assert info.holder_name == "Тестов Андрей Юрьевич"


def test_thumbprints_are_cryptopro_sha1_upper_hex_and_sha256(leaf):
    import hashlib

    from cryptography.hazmat.primitives.serialization import Encoding

    body = leaf.cert.public_bytes(Encoding.DER)
    info = describe_certificate(leaf.cert)
    assert info.sha1_thumbprint == hashlib.sha1(body, usedforsecurity=False).hexdigest().upper()
    assert len(info.sha1_thumbprint) == 40
    assert info.sha256_fingerprint == hashlib.sha256(body).hexdigest()


@pytest.mark.parametrize(
    ("options", "codes"),
    [
        ({}, []),
        ({"not_after": FIXED_NOW - timedelta(days=1)}, ["expired"]),
        ({"not_before": FIXED_NOW + timedelta(days=2)}, ["not_yet_valid"]),
        ({"not_after": FIXED_NOW + timedelta(days=20, hours=1)}, ["expiring_soon"]),
        ({"key_usage": ENCRYPTION_ONLY_USAGE}, ["no_signing_usage"]),
        ({"key_usage": None}, ["no_key_usage"]),
        ({"organisation_inn": None, "holder_inn": None}, ["no_inn"]),
    ],
)
def test_warnings(ca, options, codes):
    info = describe_certificate(make_leaf(ca, **options).cert)
    assert [item.code for item in info.warnings(FIXED_NOW)] == codes


def test_expiring_soon_warning_says_days_left(ca):
    info = describe_certificate(make_leaf(ca, not_after=FIXED_NOW + timedelta(days=20)).cert)
    assert info.warnings(FIXED_NOW)[0].message == "Срок действия истекает через 20 дн. (23.12.2026)"
    assert info.days_left(FIXED_NOW) == 20


def test_validity_problems_are_worded(ca):
    expired = describe_certificate(make_leaf(ca, not_after=FIXED_NOW - timedelta(days=3)).cert)
    future = describe_certificate(make_leaf(ca, not_before=FIXED_NOW + timedelta(days=3)).cert)
    assert expired.validity_problem(FIXED_NOW) == "срок действия сертификата истёк 30.11.2026"
    assert future.validity_problem(FIXED_NOW) == (
        "сертификат ещё не действует: начало срока 06.12.2026"
    )


# --- Opening PKCS#12 files ---------------------------------------------------------------------


@pytest.mark.parametrize("protection", ["aes", "3des"])
def test_load_with_unicode_passphrase(leaf, protection):
    data = p12_bytes(leaf, PASSPHRASE, protection=protection)
    identity = load_signing_identity(data, PASSPHRASE, name="client.p12")
    assert identity.certificate == leaf.cert
    assert identity.chain == tuple(leaf.chain)
    assert identity.legacy_protection is None


@pytest.mark.parametrize("passphrase", ["", None])
def test_file_without_passphrase_opens_with_empty_one(leaf, passphrase):
    identity = load_signing_identity(p12_bytes(leaf, ""), passphrase, name="open.p12")
    assert identity.certificate == leaf.cert


def test_signing_certificate_found_by_key_whatever_the_order(ca, leaf):
    intermediate = make_ca("Промежуточный УЦ")
    data = p12_bytes(leaf, PASSPHRASE, leaf_first=False, extra=[intermediate.cert])
    identity = load_signing_identity(data, PASSPHRASE, name="odd.p12")
    assert identity.certificate == leaf.cert
    assert set(identity.chain) == {ca.cert, intermediate.cert}


@pytest.mark.parametrize("position", [0, 1, 2])
def test_select_signing_certificate_matches_public_key(ca, leaf, position):
    others = [ca.cert, make_leaf(ca).cert]
    certificates = [*others[:position], leaf.cert, *others[position:]]
    assert select_signing_certificate(leaf.key, certificates) == leaf.cert
    assert select_signing_certificate(leaf.key, others) is None


def test_private_key_is_not_in_the_identity_repr(leaf):
    identity = load_signing_identity(p12_bytes(leaf, PASSPHRASE), PASSPHRASE, name="x.p12")
    assert "key=" not in repr(identity)
    assert "PrivateKey" not in repr(identity)


def test_wrong_passphrase_has_its_own_message(leaf):
    data = p12_bytes(leaf, PASSPHRASE)
    with pytest.raises(CertificateFileError) as caught:
        load_signing_identity(data, "не тот пароль", name="client.p12")
    assert caught.value.reason == "wrong_passphrase"
    assert caught.value.message == (
        "Файл сертификата: client.p12 — неверный пароль (проверьте раскладку и регистр; "
        "файл без пароля открывается пустым паролем)"
    )
    assert caught.value.exit_status == 2


def test_mac_check_tells_the_right_passphrase_from_a_wrong_one(leaf):
    parts = der.parse(p12_bytes(leaf, PASSPHRASE)).children()
    assert check_mac(parts, PASSPHRASE) is True
    assert check_mac(parts, PASSPHRASE + " ") is False
    open_parts = der.parse(p12_bytes(leaf, "")).children()
    assert check_mac(open_parts, "") is True


@pytest.mark.parametrize(
    "mangle",
    [
        lambda data: data[: len(data) // 2],
        lambda data: b"\x00" * 64,
        lambda data: b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        lambda data: b"",
    ],
    ids=["truncated", "zeros", "pem-text", "empty"],
)
def test_corrupt_file_has_its_own_message(leaf, mangle):
    data = mangle(p12_bytes(leaf, PASSPHRASE))
    with pytest.raises(CertificateFileError) as caught:
        load_signing_identity(data, PASSPHRASE, name="broken.pfx")
    assert caught.value.reason == "corrupt"
    assert caught.value.message == (
        "Файл сертификата: broken.pfx — файл повреждён или не является контейнером "
        "PKCS#12 (.p12/.pfx)"
    )


def test_gost_container_is_recognised_and_supported_kinds_named():
    with pytest.raises(CertificateFileError) as caught:
        load_signing_identity(gost_container_bytes(), "12345678", name="cryptopro.pfx")
    assert caught.value.reason == "gost"
    assert "ГОСТ Р 34.10-2012" in caught.value.message
    assert "ключами RSA и ECDSA" in caught.value.message


needs_openssl = pytest.mark.skipif(not openssl_available(), reason="openssl command not found")


@needs_openssl
def test_legacy_rc2_export_diagnosed_as_unreadable_algorithm(tmp_path, leaf):
    """When the crypto library cannot read RC2-40, the message says so (not «wrong password»)."""
    path = write_legacy_rc2_p12(tmp_path / "old.pfx", leaf, PASSPHRASE)
    data = path.read_bytes()
    refusal = diagnose(data, PASSPHRASE, "old.pfx")
    assert isinstance(refusal, CertificateFileError)
    assert refusal.reason == "unsupported_algorithm"
    assert "RC2 40 бит" in refusal.message
    assert diagnose(data, "wrong", "old.pfx").reason == "wrong_passphrase"


@needs_openssl
def test_legacy_rc2_export_refused_by_a_library_without_legacy_algorithms(tmp_path, leaf):
    path = write_legacy_rc2_p12(tmp_path / "old.pfx", leaf, PASSPHRASE)
    script = (
        "import sys\n"
        "from bankon_cli.signing import CertificateFileError, load_signing_identity\n"
        "try:\n"
        "    load_signing_identity(open(sys.argv[1], 'rb').read(), sys.argv[2], name='old.pfx')\n"
        "except CertificateFileError as error:\n"
        "    print(error.reason)\n"
        "else:\n"
        "    print('loaded')\n"
    )
    environment = {**os.environ, "CRYPTOGRAPHY_OPENSSL_NO_LEGACY": "1"}
    result = subprocess.run(
        [os.sys.executable, "-c", script, str(path), PASSPHRASE],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    assert result.stdout.strip() == "unsupported_algorithm"


# --- Detached CMS signatures -------------------------------------------------------------------


@pytest.mark.parametrize("key_type", ["ec", "rsa"])
def test_sign_and_verify_detached(ca, key_type):
    issued = make_leaf(ca, key_type=key_type)
    identity = load_signing_identity(p12_bytes(issued, PASSPHRASE), PASSPHRASE, name="x.p12")
    document = '{"заявка":"аккредитация"}'.encode()
    signature = sign_detached(document, identity)
    assert document not in signature  # detached: the document is not inside
    verified = verify_detached(document, signature, issued.cert)
    assert verified.certificate == issued.cert
    assert verified.digest_algorithm == "sha256"
    assert verified.signing_time is not None
    # Without a certificate given, the one the signature carries is used.
    assert verify_detached(document, signature).certificate == issued.cert


def test_tampered_document_fails(leaf):
    identity = load_signing_identity(p12_bytes(leaf, ""), "", name="x.p12")
    signature = sign_detached(b'{"position":"director"}', identity)
    with pytest.raises(SignatureInvalid) as caught:
        verify_detached(b'{"position":"Director"}', signature, leaf.cert)
    assert caught.value.message == (
        "подпись недействительна: документ изменён после подписания (хеш не совпадает)"
    )


def test_tampered_signature_fails(leaf):
    identity = load_signing_identity(p12_bytes(leaf, ""), "", name="x.p12")
    document = b"document"
    signature = bytearray(sign_detached(document, identity))
    signature[-5] ^= 0x01  # inside the signature value, the last field of the SignerInfo
    with pytest.raises(SignatureInvalid) as caught:
        verify_detached(document, bytes(signature), leaf.cert)
    assert caught.value.problem == "подпись не соответствует документу и сертификату"


def test_signature_by_another_certificate_fails(ca, leaf):
    identity = load_signing_identity(p12_bytes(leaf, ""), "", name="x.p12")
    signature = sign_detached(b"document", identity)
    with pytest.raises(SignatureInvalid) as caught:
        verify_detached(b"document", signature, make_leaf(ca).cert)
    assert caught.value.problem == "подпись сделана другим сертификатом"


def test_garbage_is_not_a_signature(leaf):
    with pytest.raises(SignatureInvalid) as caught:
        verify_detached(b"document", b"\x30\x03\x02\x01\x01", leaf.cert)
    assert caught.value.problem == "файл подписи повреждён или не является подписью CMS"


@needs_openssl
def test_openssl_verifies_our_signature(tmp_path, ca, leaf):
    identity = load_signing_identity(p12_bytes(leaf, ""), "", name="x.p12")
    document = "Заявка на аккредитацию".encode()
    (tmp_path / "doc.json").write_bytes(document)
    (tmp_path / "doc.json.p7s").write_bytes(sign_detached(document, identity))
    (tmp_path / "ca.crt").write_bytes(ca.cert_pem())
    result = subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(tmp_path / "doc.json.p7s"),
            "-content",
            str(tmp_path / "doc.json"),
            "-CAfile",
            str(tmp_path / "ca.crt"),
            "-purpose",
            "any",
            "-out",
            os.devnull,
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr
