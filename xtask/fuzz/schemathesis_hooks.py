"""Schemathesis hooks for `cargo xtask fuzz`: sign in as a real enrolled
device so the authenticated endpoints are exercised too.

The device key is made here (Ed25519); the one-time code comes from the
recorder's console through CUSTOS_ENROLL_CODE. The challenge answer is
signed over the same canonical bytes as custos_core::signing.
"""

import hashlib
import os
import struct

import requests
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

BASE = os.environ["CUSTOS_BASE_URL"]
CA = os.environ.get("CUSTOS_CA", False)


def canonical(domain: str, fields: list[tuple[str, str]]) -> bytes:
    out = b""
    for name, value in [("domain", domain)] + fields:
        for part in (name.encode(), value.encode()):
            out += struct.pack(">Q", len(part)) + part
    return out


def sign_in() -> str:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    device = hashlib.sha256(public).hexdigest()[:32]
    code = os.environ["CUSTOS_ENROLL_CODE"]
    r = requests.post(f"{BASE}/v1/enroll", json={"code": code, "public_key": public.hex()}, verify=CA, timeout=10)
    r.raise_for_status()
    nonce = requests.post(f"{BASE}/v1/auth/challenge", json={"device_id": device}, verify=CA, timeout=10).json()["nonce"]
    signature = key.sign(canonical("custos/auth-challenge/v1", [("nonce", nonce), ("device", device)])).hex()
    r = requests.post(
        f"{BASE}/v1/auth/token",
        json={"device_id": device, "nonce": nonce, "signature": signature},
        verify=CA,
        timeout=10,
    )
    r.raise_for_status()
    return r.json()["token"]


if os.environ.get("CUSTOS_ENROLL_CODE"):

    @schemathesis.auth()
    class DeviceToken:
        """A bearer token for an enrolled device, fetched once per run."""

        token = None

        def get(self, case, ctx):
            if DeviceToken.token is None:
                DeviceToken.token = sign_in()
            return DeviceToken.token

        def set(self, case, data, ctx):
            case.headers = case.headers or {}
            case.headers["Authorization"] = f"Bearer {data}"
