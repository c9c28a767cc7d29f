"""One BankID authentication through a stock client library, unchanged: bankid-sdk from PyPI.

    auth.py RP_URL P12 PASSPHRASE CA          (or the BANKID_RP_URL, BANKID_P12, BANKID_P12_PASSPHRASE
                                               and BANKID_CA environment variables)

RP_URL is the RP API base URL, `https://host:port/rp/v6.0/` (BankID's test service is
`https://appapi2.test.bankid.com/rp/v6.0/`); P12 the relying party's PKCS#12 and PASSPHRASE its password; CA the
PEM root to pin for the server. Starts an auth order for endUserIp 127.0.0.1, collects it through the library
until it ends, and prints the order's completionData as JSON on stdout. Progress goes to stderr. Exits 0 only
when the order completed; 1 on any failure, 2 on bad arguments.

BANKID_COLLECT_INTERVAL sets the seconds between collects (2, as BankID asks; BankID allows no less than 1).

The library is used only through what its README documents: `bankid_sdk.configure(api_base_url=...,
certificate=(cert, key), ca_cert=...)`, then `SyncV60` over an `httpx.Client` built from `bankid_sdk.config`,
exactly as the library's own Django views do. bankid-sdk wants the client certificate as PEM files, so the
PKCS#12 is opened with `cryptography` and written to a private temporary folder first.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import bankid_sdk
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

# bankid-sdk puts every request under this path of `api_base_url` (its `V60Base.path_prefix`).
RP_PATH = "/rp/v6.0/"
END_USER_IP = "127.0.0.1"
# An order lives about 3 minutes at BankID (BANKID.md §5); give up a little after that.
GIVE_UP_SECONDS = 200.0


def usage(message: str) -> None:
    print(f"auth.py: {message}\n\n{__doc__}", file=sys.stderr)
    sys.exit(2)


def argument(argv: list[str], index: int, env: str, what: str) -> str:
    if len(argv) > index:
        return argv[index]
    value = os.environ.get(env)
    if not value:
        usage(f"missing {what} (argument {index} or ${env})")
    return value


def api_base_url(rp_url: str) -> str:
    """bankid-sdk's `api_base_url` (`https://appapi2.test.bankid.com/` in its README) for an RP API base URL."""
    parts = urlsplit(rp_url)
    if parts.scheme != "https" or not parts.netloc or parts.path.rstrip("/") + "/" != RP_PATH:
        usage(f"the RP URL must look like https://host:port{RP_PATH}, got {rp_url!r}")
    return f"{parts.scheme}://{parts.netloc}/"


def pem_files(p12_path: str, passphrase: str, folder: Path) -> tuple[str, str]:
    """The PKCS#12's certificate (with any chain it carries) and key, as the PEM files bankid-sdk takes."""
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(Path(p12_path).read_bytes(), passphrase.encode())
    except (OSError, ValueError) as e:
        raise SystemExit(f"auth.py: cannot open {p12_path}: {e}")
    if key is None or cert is None:
        raise SystemExit(f"auth.py: {p12_path} holds no certificate with its key")
    cert_path, key_path = folder / "rp.pem", folder / "rp.key"
    cert_path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *chain]))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


def wire(data: bankid_sdk.CompletionData) -> dict:
    """completionData with BankID's field names, rebuilt from what the library parsed."""
    out: dict = {
        "user": {
            "personalNumber": data.user.personal_number,
            "name": data.user.name,
            "givenName": data.user.given_name,
            "surname": data.user.surname,
        },
        "device": {"ipAddress": data.device.ip_address},
        "bankIdIssueDate": data.bankid_issue_date,
        "signature": data.signature,
        "ocspResponse": data.ocsp_response,
    }
    if data.device.uhi is not None:
        out["device"]["uhi"] = data.device.uhi
    if data.step_up is not None:
        out["stepUp"] = {"mrtd": data.step_up.mrtd}
    return out


def collect_until_done(client: bankid_sdk.SyncV60, interval: float) -> int:
    order = client.auth(end_user_ip=END_USER_IP)
    print(f"auth: orderRef {order.order_ref}", file=sys.stderr)
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while True:
        result = client.collect(order.order_ref)
        if isinstance(result, bankid_sdk.CompleteCollect):
            print("collect: complete", file=sys.stderr)
            print(json.dumps(wire(result.completion_data), ensure_ascii=False, indent=2))
            return 0
        if isinstance(result, bankid_sdk.FailedCollect):
            print(f"collect: failed / {result.hint_code.value}", file=sys.stderr)
            return 1
        print(f"collect: pending / {result.hint_code.value}", file=sys.stderr)
        if time.monotonic() > deadline:
            print(f"auth.py: still pending after {GIVE_UP_SECONDS:.0f} s", file=sys.stderr)
            return 1
        time.sleep(interval)


def main(argv: list[str]) -> int:
    rp_url = argument(argv, 1, "BANKID_RP_URL", "the RP API base URL")
    p12 = argument(argv, 2, "BANKID_P12", "the PKCS#12 file")
    passphrase = argument(argv, 3, "BANKID_P12_PASSPHRASE", "the PKCS#12 passphrase")
    ca = argument(argv, 4, "BANKID_CA", "the CA file")
    try:
        interval = float(os.environ.get("BANKID_COLLECT_INTERVAL", "2"))
    except ValueError:
        usage("BANKID_COLLECT_INTERVAL must be a number of seconds")
    base = api_base_url(rp_url)

    with tempfile.TemporaryDirectory(prefix="stock-client-") as folder:  # created 0700
        cert, key = pem_files(p12, passphrase, Path(folder))
        bankid_sdk.configure(api_base_url=base, certificate=(cert, key), ca_cert=ca)
        with httpx.Client(
            base_url=bankid_sdk.config.API_BASE_URL, verify=bankid_sdk.config.SSL_CONTEXT, timeout=10.0
        ) as http:
            try:
                return collect_until_done(bankid_sdk.SyncV60(client=http), interval)
            except bankid_sdk.BankIDAPIError as e:
                body = e.response.text if e.response is not None else ""
                print(f"auth.py: BankID answered {e.code} {e.error_code}: {body}", file=sys.stderr)
            except bankid_sdk.BankIDHTTPError as e:
                print(f"auth.py: no answer from {rp_url}: {e.__cause__!r}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    # The user's name is not ASCII; print it as UTF-8 whatever the locale.
    sys.stdout.reconfigure(encoding="utf-8")
    sys.exit(main(sys.argv))
