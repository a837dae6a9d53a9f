"""The signing helper: PKCS#12 files, certificate fields and detached CMS signatures.

Imports cryptography: load it only inside the commands that sign or inspect.
"""

from bankon_cli.signing.certificate import CertificateInfo, CertificateWarning, describe_certificate
from bankon_cli.signing.cms import VerifiedSignature, sign_detached, verify_detached
from bankon_cli.signing.errors import CertificateFileError, SignatureInvalid
from bankon_cli.signing.pkcs12 import SigningIdentity, load_signing_identity

__all__ = [
    "CertificateFileError",
    "CertificateInfo",
    "CertificateWarning",
    "SignatureInvalid",
    "SigningIdentity",
    "VerifiedSignature",
    "describe_certificate",
    "load_signing_identity",
    "sign_detached",
    "verify_detached",
]
