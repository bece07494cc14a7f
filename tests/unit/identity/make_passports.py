#!/usr/bin/python3
"""Test PASSporTs and certificates for tests/unit/identity, made by an implementation that is
not ours: PyJWT (python3-jwt) signs, python3-cryptography makes the CAs and certificates.

usage: make_passports.py OUTDIR NOW
NOW is the caller's clock (seconds since the epoch); every iat and validity period is relative
to it, so the tests never depend on the wall-clock time they run at.

Writes into OUTDIR:
  trust.pem           the STI-CA (root) the gateway trusts
  chain.pem           leaf (signer) + intermediate, issued under trust.pem
  other_chain.pem     a leaf from a CA the gateway does not trust
  expired_chain.pem   a leaf of the trusted CA whose validity ended a day before NOW
  p384_chain.pem      a leaf of the trusted CA with a P-384 key
  signer.key          the leaf's private key (sign_passport.py signs with it)
  server_ca.pem       the CA of the test HTTPS server that serves x5u (x5u_server.py)
  server.pem, server.key   that server's certificate (127.0.0.1 and localhost) and key
  <case>.jwt          one compact PASSporT per case (see CASES)
"""
import datetime
import ipaddress
import os
import sys

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

X5U = "https://cert.example.test/sti.pem"
ORIGID = "123e4567-e89b-12d3-a456-426655440000"


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def certificate(subject_key, subject, issuer_key, issuer, ca, not_before, not_after):
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
         .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(not_before).not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                          key_encipherment=False, data_encipherment=False,
                                          key_agreement=False, key_cert_sign=True, crl_sign=True,
                                          encipher_only=False, decipher_only=False),
                            critical=True)
    return b.sign(issuer_key, hashes.SHA256())


def pem(*certs):
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def main():
    out, now = sys.argv[1], int(sys.argv[2])
    t = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    year = datetime.timedelta(days=365)
    day = datetime.timedelta(days=1)

    root_key = ec.generate_private_key(ec.SECP256R1())
    root = certificate(root_key, "Test STI-CA", root_key, "Test STI-CA", True, t - day, t + year)
    mid_key = ec.generate_private_key(ec.SECP256R1())
    mid = certificate(mid_key, "Test STI intermediate", root_key, "Test STI-CA", True, t - day,
                      t + year)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = certificate(leaf_key, "Test SHAKEN signer", mid_key, "Test STI intermediate", False,
                       t - day, t + year)

    other_root_key = ec.generate_private_key(ec.SECP256R1())
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = certificate(other_key, "Rogue signer", other_root_key, "Rogue CA", False, t - day,
                        t + year)
    expired_key = ec.generate_private_key(ec.SECP256R1())
    expired = certificate(expired_key, "Expired signer", mid_key, "Test STI intermediate", False,
                          t - 2 * year, t - day)
    p384_key = ec.generate_private_key(ec.SECP384R1())
    p384 = certificate(p384_key, "P-384 signer", mid_key, "Test STI intermediate", False,
                       t - day, t + year)

    server_ca_key = ec.generate_private_key(ec.SECP256R1())
    server_ca = certificate(server_ca_key, "Test web CA", server_ca_key, "Test web CA", True,
                            t - day, t + year)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (x509.CertificateBuilder().subject_name(name("localhost"))
              .issuer_name(name("Test web CA")).public_key(server_key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(t - day).not_valid_after(t + year)
              .add_extension(x509.SubjectAlternativeName(
                  [x509.DNSName("localhost"),
                   x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
              .sign(server_ca_key, hashes.SHA256()))

    files = {
        "signer.key": leaf_key.private_bytes(serialization.Encoding.PEM,
                                             serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()),
        "server_ca.pem": pem(server_ca),
        "server.pem": pem(server),
        "server.key": server_key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()),
        "trust.pem": pem(root),
        "chain.pem": pem(leaf, mid),
        "other_chain.pem": pem(other),
        "expired_chain.pem": pem(expired, mid),
        "p384_chain.pem": pem(p384, mid),
    }

    def claims(**changes):
        c = {"attest": "A", "dest": {"tn": ["12155550100"]}, "iat": now,
             "orig": {"tn": "12155551212"}, "origid": ORIGID}
        for k, v in changes.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def headers(**changes):
        h = {"ppt": "shaken", "typ": "passport", "x5u": X5U}
        for k, v in changes.items():
            if v is None:
                h.pop(k, None)
            else:
                h[k] = v
        return h

    def es256(c, h=None, key=leaf_key):
        return jwt.encode(c, key, algorithm="ES256", headers=h if h is not None else headers())

    cases = {
        "good": es256(claims()),
        "good_b": es256(claims(attest="B")),
        "good_plus": es256(claims(orig={"tn": "+1 215 555 1212"})),
        "signed_by_other": es256(claims(), key=other_key),
        "signed_by_expired": es256(claims(), key=expired_key),
        "signed_by_p384": jwt.encode(claims(), p384_key, algorithm="ES384", headers=headers()),
        "stale": es256(claims(iat=now - 3600)),
        "future": es256(claims(iat=now + 3600)),
        "wrong_orig": es256(claims(orig={"tn": "12155559999"})),
        "wrong_dest": es256(claims(dest={"tn": ["12155559999"]})),
        "hs256": jwt.encode(claims(), "secret", algorithm="HS256", headers=headers()),
        "no_attest": es256(claims(attest=None)),
        "bad_attest": es256(claims(attest="D")),
        "no_origid": es256(claims(origid=None)),
        "bad_origid": es256(claims(origid="not-a-uuid")),
        "no_x5u": es256(claims(), headers(x5u=None)),
        "http_x5u": es256(claims(), headers(x5u="http://cert.example.test/sti.pem")),
        "no_orig": es256(claims(orig=None)),
        "no_dest": es256(claims(dest=None)),
        "string_iat": es256(claims(iat=str(now))),
        "div": es256(claims(), headers(ppt="div")),
    }
    for case, token in cases.items():
        files[case + ".jwt"] = token.encode()
    for file, data in files.items():
        with open(os.path.join(out, file), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
