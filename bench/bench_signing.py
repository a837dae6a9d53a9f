"""Signing figures, run by hand: `python bench/bench_signing.py` (prints; asserts nothing).

Opening PKCS#12 files, CMS sign and verify for ECDSA P-256 and RSA 2048, the scrypt password
hash, and the wall time of `bankon cert inspect` next to bare interpreter + typer start-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bankon_cli.services.passwords import hash_password, verify_password
from bankon_cli.signing import load_signing_identity, sign_detached, verify_detached
from tests.certs import make_ca, make_leaf, p12_bytes


def timed(label: str, action: Callable[[], object], repeat: int) -> None:
    action()
    started = time.perf_counter()
    for _ in range(repeat):
        action()
    each = (time.perf_counter() - started) / repeat
    print(f"{label:<48} {each * 1000:8.2f} ms")


def process(label: str, args: list[str], env: dict[str, str], repeat: int = 5) -> None:
    def run() -> None:
        subprocess.run(args, env=env, check=True, capture_output=True)

    timed(label, run, repeat)


def main() -> None:
    ca = make_ca()
    document = b'{"kind":"bankon.accreditation_request"}' * 20
    for key_type in ("ec", "rsa"):
        leaf = make_leaf(ca, key_type=key_type)
        for protection in ("aes", "3des"):
            data = p12_bytes(leaf, "фраза", protection=protection)
            timed(
                f"open PKCS#12 {key_type}/{protection}",
                lambda data=data: load_signing_identity(data, "фраза", name="b.p12"),
                50,
            )
        identity = load_signing_identity(p12_bytes(leaf, ""), "", name="b.p12")
        signature = sign_detached(document, identity)
        timed(f"CMS sign {key_type}", lambda i=identity: sign_detached(document, i), 200)
        timed(
            f"CMS verify {key_type}",
            lambda s=signature, c=leaf.cert: verify_detached(document, s, c),
            200,
        )
    encoded = hash_password("Зимний-лес-2026")
    timed("scrypt hash (N=2^15, r=8, p=1)", lambda: hash_password("Зимний-лес-2026"), 10)
    timed("scrypt verify", lambda: verify_password("Зимний-лес-2026", encoded), 10)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.p12"
        path.write_bytes(p12_bytes(make_leaf(ca), "фраза"))
        env = {**os.environ, "BANKON_HOME": folder, "P12_PASS": "фраза"}
        process("python -c 'import typer' (process)", [sys.executable, "-c", "import typer"], env)
        process(
            "bankon cert inspect (process)",
            [
                sys.executable,
                "-m",
                "bankon_cli.main",
                "cert",
                "inspect",
                str(path),
                "--password-env",
                "P12_PASS",
                "-f",
                "json",
            ],
            env,
        )


if __name__ == "__main__":
    main()
