"""The gateway's TLS certificate: self-signed for localhost and 127.0.0.1.

DIR/gateway.crt is what a client verifies against (curl --cacert), DIR/gateway.pem
certificate + key for HAProxy's `ssl crt`. Made once, renewed when less than a
day is left."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path


def still_valid(directory: Path) -> bool:
    if not (directory / "gateway.pem").is_file():
        return False
    check = subprocess.run(["openssl", "x509", "-checkend", "86400", "-noout", "-in", str(directory / "gateway.crt")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return check.returncode == 0


def ensure_tls_cert(directory: Path) -> bool:
    """False when openssl could not make the certificate."""
    if still_valid(directory):
        return True
    directory.mkdir(parents=True, exist_ok=True)
    key, crt, pem = directory / "gateway.key", directory / "gateway.crt", directory / "gateway.pem"
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                           "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                           "-keyout", str(key), "-out", str(crt)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, umask=0o077)
    if made.returncode != 0:
        return False
    pem.unlink(missing_ok=True)
    fd = os.open(pem, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(crt.read_bytes() + key.read_bytes())
    crt.chmod(0o644)
    return True
