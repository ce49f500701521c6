#!/usr/bin/env python3
"""Mints an HS256 JWT for load tests against a Rally started with RALLY_JWT_SECRET.

    python3 loadtest/mint_jwt.py --secret "$RALLY_JWT_SECRET" --role service_role --hours 2
"""
import argparse
import base64
import hashlib
import hmac
import json
import time
import uuid


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(secret: str, role: str, hours: float, subject: str | None) -> str:
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"role": role, "exp": int(time.time() + hours * 3600), "iat": int(time.time())}
    if role == "authenticated":
        claims["sub"] = subject or str(uuid.uuid4())
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--secret", required=True)
    parser.add_argument("--role", default="authenticated", help="authenticated | service_role | anon")
    parser.add_argument("--hours", type=float, default=2)
    parser.add_argument("--subject", help="sub claim (authenticated; default: a random uuid)")
    args = parser.parse_args()
    print(mint(args.secret, args.role, args.hours, args.subject))
