"""Errors of the signing helper, each with its own Russian message."""

from __future__ import annotations

from bankon_cli.errors import BankonError, ExitStatus, InvalidInput

FIELD_CERTIFICATE_FILE = "Файл сертификата"
SUPPORTED_KINDS = "RSA и ECDSA (ГОСТ Р 34.10-2012 не поддерживается)"


class CertificateFileError(InvalidInput):
    """The PKCS#12 file cannot be used; `reason` is a stable English code for tests and JSON."""

    def __init__(self, reason: str, problem: str) -> None:
        super().__init__(FIELD_CERTIFICATE_FILE, problem)
        self.reason = reason


def wrong_passphrase(name: str) -> CertificateFileError:
    return CertificateFileError(
        "wrong_passphrase",
        f"{name} — неверный пароль (проверьте раскладку и регистр; "
        "файл без пароля открывается пустым паролем)",
    )


def corrupt_file(name: str, detail: str = "") -> CertificateFileError:
    suffix = f" ({detail})" if detail else ""
    return CertificateFileError(
        "corrupt",
        f"{name} — файл повреждён или не является контейнером PKCS#12 (.p12/.pfx){suffix}",
    )


def unreadable_algorithm(name: str, algorithm: str) -> CertificateFileError:
    return CertificateFileError(
        "unsupported_algorithm",
        f"{name} — защищён устаревшим алгоритмом {algorithm}, который библиотека cryptography "
        "не читает (так сохраняли старые программы экспорта). Экспортируйте сертификат заново "
        "с шифрованием AES-256",
    )


def gost_container(name: str) -> CertificateFileError:
    return CertificateFileError(
        "gost",
        f"{name} — контейнер с ключом ГОСТ Р 34.10-2012 (экспорт КриптоПро) не поддерживается. "
        "bankon подписывает сертификатами с ключами RSA и ECDSA в файлах PKCS#12 (.p12/.pfx)",
    )


def unsupported_key(name: str, kind: str) -> CertificateFileError:
    return CertificateFileError(
        "unsupported_key",
        f"{name} — ключ {kind} не поддерживается; поддерживаются ключи {SUPPORTED_KINDS}",
    )


class SignatureInvalid(BankonError):
    """A CMS signature does not verify; the message says why."""

    exit_status = ExitStatus.FAILURE

    def __init__(self, problem: str) -> None:
        super().__init__(f"подпись недействительна: {problem}")
        self.problem = problem
