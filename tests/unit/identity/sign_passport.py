#!/usr/bin/python3
"""Signs one SHAKEN PASSporT with PyJWT for tests that know x5u only at run time (the port of
the HTTPS server that serves it).

usage: sign_passport.py KEY_PEM X5U ORIG DEST IAT [ATTEST]
Prints the compact PASSporT.
"""
import sys

import jwt
from cryptography.hazmat.primitives import serialization


def main():
    key_file, x5u, orig, dest, iat = sys.argv[1:6]
    attest = sys.argv[6] if len(sys.argv) > 6 else "A"
    with open(key_file, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    claims = {"attest": attest, "dest": {"tn": [dest]}, "iat": int(iat), "orig": {"tn": orig},
              "origid": "123e4567-e89b-12d3-a456-426655440000"}
    headers = {"ppt": "shaken", "typ": "passport", "x5u": x5u}
    print(jwt.encode(claims, key, algorithm="ES256", headers=headers))


if __name__ == "__main__":
    main()
