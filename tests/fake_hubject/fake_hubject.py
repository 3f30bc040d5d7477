#!/usr/bin/env python3
"""A fake Hubject Open Plug&Charge back end and OCSP responder, for tests (the real one is not
reachable from the test machines). Python 3 standard library only; every certificate, signature and
OCSP response is made by the `openssl` command-line tool.

Start:
    python3 fake_hubject.py --port 0 --dir DIR [--tls] [--host 127.0.0.1] [--token TOKEN]
                            [--client-id evbroker-test] [--client-secret secret] [--token-ttl 3600]
                            [--emaid DE-EVB-C00000001-0]
When it is ready it prints ONE line of JSON on stdout (wait for that line; no sleeps needed):
    {"port": N, "url": "http(s)://127.0.0.1:N", "dir": DIR,
     "v2g_root": "DIR/v2g-root.pem", "mo_root": "DIR/mo-root.pem", "other_root": "DIR/other-root.pem",
     "ca_bundle": "DIR/ca-bundle.pem",          # V2G root + MO root (the Plug & Charge trust anchors)
     "cpo_chain": "DIR/cpo-chain.pem",          # CPO sub-CA 2 + CPO sub-CA 1 (SECC intermediates)
     "mo_chain": "DIR/mo-chain.pem",            # MO sub-CA 2 + MO sub-CA 1 (contract intermediates)
     "cpo_sub2": "DIR/cpo-sub2/ca.pem", "cpo_sub1": ..., "mo_sub2": ..., "mo_sub1": ...,
     "tls_ca": "DIR/tls-ca.pem" or null,        # trust this for https when --tls is given
     "token": TOKEN or null, "client_id": ..., "client_secret": ...}
then serves until SIGTERM/SIGINT. One line per request is logged to stderr.

The PKI (recreated under DIR at every start; EC P-256, SHA-256):
    V2G root -> CPO sub-CA 1 -> CPO sub-CA 2 -> SECC certificates (EST enrolment)
    MO root  -> MO sub-CA 1  -> MO sub-CA 2  -> contract certificates (CN = eMAID)
    other root -> contract certificates for bad-chain tests
Every sub-CA and leaf carries authorityInfoAccess OCSP;URI:<url>/ocsp (this server). Each CA keeps
an `openssl ca` database (DIR/<ca>/index.txt), so revocation shows up in OCSP answers.

Hubject endpoints (all but /oauth/token and /ocsp need "Authorization: Bearer <token>", where the
token is --token or one issued by /oauth/token and not expired; otherwise 401 JSON):
  POST /cpo/simpleenroll/ISO15118-2, POST /cpo/simplereenroll/ISO15118-2
       body: base64 of a DER PKCS#10 (Content-Type application/pkcs10)
       200 application/pkcs7-mime: base64 (MIME lines) of a DER PKCS#7 certs-only with the SECC
       certificate signed by CPO sub-CA 2 (keyUsage critical digitalSignature,keyAgreement; 1 year).
       Subject as in the CSR. A CSR that does not parse or whose signature is bad: 400.
  GET  /cpo/cacerts/ISO15118-2
       200 application/pkcs7-mime: base64 DER PKCS#7 certs-only: CPO sub-CA 2, sub-CA 1, V2G root.
  POST /v1/ccp/signedContractData
       JSON {"certificateInstallationReq": "<base64 EXI>", "xsdMsgDefNamespace": "urn:iso:15118:2:2013:MsgDef"}
       200 {"CCPResponse": {"emaidContent": [{"messageDef": {"metaData": null,
            "certificateInstallationRes": base64(b"CertificateInstallationRes:" + decoded request),
            "emaid": <--emaid>}}]}}
       missing/invalid fields: 400 {"error": ...}; decoded request == b"NO-CONTRACT": 404 {"error": ...}
  GET  /v1/root/rootCerts
       200 {"RootCertificateCollection": {"rootCertificates": [{"rootCertificateId", "distinguishedName",
            "caCertificate" (base64 DER), "commonName", "rootAuthorityKeyIdentifier", "rootIssuerSerialNumber",
            "rootSerialNumber", "validFrom", "validTo", "rootType": "V2G" | "MO"}, ...]}}
  POST /oauth/token
       form grant_type=client_credentials&client_id=..&client_secret=.. (or HTTP Basic client_id:secret)
       200 {"access_token", "token_type": "Bearer", "expires_in"}; bad credentials 401, bad grant 400.
  POST /ocsp (application/ocsp-request, DER) and GET /ocsp/<url-encoded base64 request>
       200 application/ocsp-response from `openssl ocsp -index`, signed by the certificate's issuing CA
       (found by the CertID's issuer hashes; SHA-1 and SHA-256 CertIDs). Unknown issuer: "unknown".

Test control (not Hubject's; never authenticated, never delayed or failed, not counted in stats):
  POST /_test/config  JSON, every key optional, only given keys change:
       {"delay_ms": N,              # every Hubject/OCSP request waits N ms before it is answered
        "fail_count": N,            # fail the next N requests with fail_status (default 503), then recover
        "fail_status": 503 | null,  # without fail_count: fail every request until set to null
        "token_expired": true,      # every current bearer token gets one 401 (issued tokens die,
                                    #   the fixed --token is refused once), forcing a refresh
        "emaid": "...",             # eMAID returned by signedContractData
        "reset": true}              # back to the defaults first (no delay, no failures), stats cleared
       -> 200 with the resulting config. GET /_test/config reads it.
  POST /_test/contract {"emaid": "...", "expired": false, "revoked": false, "issuer": "mo" | "other"}
       -> {"emaid", "serial" (hex), "chain_pem" (leaf + MO sub-CA 2 + sub-CA 1; leaf only for "other"),
           "leaf_pem", "key_pem", "leaf_sha256" (hex of SHA-256 over the DER),
           "ocsp_request_data": {"hashAlgorithm": "SHA256", "issuerNameHash", "issuerKeyHash",
                                 "serialNumber", "responderURL"}}  (OCPP OCSPRequestDataType, hex)
       expired: validity entirely in the past; revoked: marked R in the issuer's index.
  POST /_test/revoke {"serial": "hex"} -> {"revoked": true} (404 if no CA issued it)
  GET  /_test/stats -> {"total": N, "requests": {"POST /oauth/token": N, ...},
                        "statuses": {"200": N, "401": N, ...},
                        "by_endpoint": {"POST /oauth/token": {"200": N, "401": N}, ...},
                        "tokens_issued": N}
"""

import argparse
import base64
import binascii
import datetime
import http.server
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

NAMESPACES = ("urn:iso:15118:2:2013:MsgDef", "urn:iso:15118:2:2010:MsgDef", "urn:iso:15118:20:2022:MsgDef")
DEFAULT_EMAID = "DE-EVB-C00000001-0"


class OpensslError(Exception):
    pass


def openssl(*args, data=None, merge_stderr=False):
    """Runs `openssl args...`; returns stdout bytes (and stderr after it when merge_stderr), raises
    OpensslError with stderr on failure."""
    proc = subprocess.run(["openssl", *args], input=data, capture_output=True, check=False)
    if proc.returncode != 0:
        raise OpensslError(f"openssl {args[0]} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout + proc.stderr if merge_stderr else proc.stdout


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def write(path, content, mode="w"):
    with open(path, mode) as f:
        f.write(content)


def hexfield(text, label):
    """The value after `label:` in openssl's text output, e.g. 'Issuer Name Hash: AB12...'."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(label + ":"):
            return line.split(":", 1)[1].strip()
    return None


# ---- the test PKI ----------------------------------------------------------------------------------

CA_CONFIG = """\
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused

[ ca ]
default_ca = this_ca
[ this_ca ]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir/issued
certificate = $dir/ca.pem
private_key = $dir/ca.key
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
preserve = yes
rand_serial = yes
email_in_dn = no
[ policy_any ]
domainComponent = optional
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied

[ v3_root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ v3_sub1 ]
basicConstraints = critical, CA:TRUE, pathlen:1
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = OCSP;URI:{ocsp_url}

[ v3_sub2 ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = OCSP;URI:{ocsp_url}

[ v3_secc ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = OCSP;URI:{ocsp_url}

[ v3_contract ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation, keyAgreement
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = OCSP;URI:{ocsp_url}

[ v3_tls_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


class CA:
    """One certificate authority: DIR/<name>/{ca.pem, ca.key, ca.cnf, index.txt, issued/}."""

    def __init__(self, base, name, ocsp_url):
        self.name = name
        self.dir = os.path.join(base, name)
        os.makedirs(os.path.join(self.dir, "issued"))
        write(os.path.join(self.dir, "index.txt"), "")
        write(os.path.join(self.dir, "index.txt.attr"), "unique_subject = no\n")
        self.config = os.path.join(self.dir, "ca.cnf")
        write(self.config, CA_CONFIG.format(dir=self.dir, ocsp_url=ocsp_url))
        self.cert = os.path.join(self.dir, "ca.pem")
        self.key = os.path.join(self.dir, "ca.key")
        self.hashes = set()  # (issuerNameHash, issuerKeyHash) hex upper, for SHA-1 and SHA-256 CertIDs

    def make_root(self, subject, days=3650):
        new_key(self.key)
        openssl("req", "-x509", "-new", "-key", self.key, "-subj", subject, "-days", str(days),
                "-config", self.config, "-extensions", "v3_root", "-out", self.cert)

    def make_sub(self, parent, subject, extensions, days=1825):
        new_key(self.key)
        csr = os.path.join(self.dir, "ca.csr")
        openssl("req", "-new", "-key", self.key, "-subj", subject, "-config", self.config, "-out", csr)
        parent.sign(csr, self.cert, extensions, days=days)

    def sign(self, csr_path, out_path, extensions, days=None, start=None, end=None, subject=None, inform="PEM"):
        args = ["ca", "-batch", "-notext", "-config", self.config, "-in", csr_path, "-inform", inform,
                "-out", out_path, "-extensions", extensions]
        if subject:
            args += ["-subj", subject]
        if start:
            args += ["-startdate", start, "-enddate", end]
        else:
            args += ["-days", str(days or 365)]
        openssl(*args)

    def revoke(self, cert_path):
        openssl("ca", "-config", self.config, "-revoke", cert_path)

    def issued_path(self, serial):
        path = os.path.join(self.dir, "issued", serial.upper() + ".pem")
        return path if os.path.exists(path) else None

    def learn_hashes(self, scratch):
        """Which CertID issuer hashes name this CA: a probe OCSP request per digest, read back as text."""
        for digest in ("-sha1", "-sha256"):
            req = os.path.join(scratch, f"probe-{self.name}.der")
            openssl("ocsp", "-issuer", self.cert, digest, "-serial", "0x1", "-no_nonce", "-reqout", req)
            text = openssl("ocsp", "-reqin", req, "-req_text").decode()
            self.hashes.add((hexfield(text, "Issuer Name Hash"), hexfield(text, "Issuer Key Hash")))


def new_key(path):
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
    os.chmod(path, 0o600)


def openssl_date(when):
    return when.strftime("%Y%m%d%H%M%SZ")


class Pki:
    """All CAs of the fake, the files the ready line names, and the operations on them (serialised:
    `openssl ca` rewrites index.txt, and `openssl ocsp` reads it)."""

    def __init__(self, base, base_url, tls):
        self.base = base
        self.lock = threading.RLock()
        self.ocsp_url = base_url + "/ocsp"
        self.scratch = os.path.join(base, "tmp")
        os.makedirs(self.scratch, exist_ok=True)
        url = self.ocsp_url
        self.v2g_root = CA(base, "v2g-root", url)
        self.v2g_root.make_root("/CN=V2G Root CA/O=evbroker fake Hubject/C=DE/DC=V2G")
        self.cpo_sub1 = CA(base, "cpo-sub1", url)
        self.cpo_sub1.make_sub(self.v2g_root, "/CN=CPO Sub1 CA/O=evbroker fake Hubject/C=DE/DC=V2G", "v3_sub1")
        self.cpo_sub2 = CA(base, "cpo-sub2", url)
        self.cpo_sub2.make_sub(self.cpo_sub1, "/CN=CPO Sub2 CA/O=evbroker fake Hubject/C=DE/DC=V2G", "v3_sub2")
        self.mo_root = CA(base, "mo-root", url)
        self.mo_root.make_root("/CN=MO Root CA/O=evbroker fake Hubject/C=DE/DC=MO")
        self.mo_sub1 = CA(base, "mo-sub1", url)
        self.mo_sub1.make_sub(self.mo_root, "/CN=MO Sub1 CA/O=evbroker fake Hubject/C=DE/DC=MO", "v3_sub1")
        self.mo_sub2 = CA(base, "mo-sub2", url)
        self.mo_sub2.make_sub(self.mo_sub1, "/CN=MO Sub2 CA/O=evbroker fake Hubject/C=DE/DC=MO", "v3_sub2")
        self.other_root = CA(base, "other-root", url)
        self.other_root.make_root("/CN=Other Root CA/O=not Hubject/C=DE")
        self.cas = [self.v2g_root, self.cpo_sub1, self.cpo_sub2, self.mo_root, self.mo_sub1, self.mo_sub2,
                    self.other_root]
        for ca in self.cas:
            ca.learn_hashes(self.scratch)

        self.files = {
            "v2g_root": self._copy(self.v2g_root.cert, "v2g-root.pem"),
            "mo_root": self._copy(self.mo_root.cert, "mo-root.pem"),
            "other_root": self._copy(self.other_root.cert, "other-root.pem"),
            "ca_bundle": self._concat("ca-bundle.pem", self.v2g_root, self.mo_root),
            "cpo_chain": self._concat("cpo-chain.pem", self.cpo_sub2, self.cpo_sub1),
            "mo_chain": self._concat("mo-chain.pem", self.mo_sub2, self.mo_sub1),
            "cpo_sub1": self.cpo_sub1.cert, "cpo_sub2": self.cpo_sub2.cert,
            "mo_sub1": self.mo_sub1.cert, "mo_sub2": self.mo_sub2.cert,
            "tls_ca": None,
        }
        self.tls_cert = self.tls_key = None
        if tls:
            tls_ca = CA(base, "tls-ca", url)
            tls_ca.make_root("/CN=fake Hubject TLS CA/O=evbroker tests")
            self.files["tls_ca"] = self._copy(tls_ca.cert, "tls-ca.pem")
            self.tls_key = os.path.join(base, "tls-server.key")
            self.tls_cert = os.path.join(base, "tls-server.pem")
            new_key(self.tls_key)
            csr = os.path.join(self.scratch, "tls-server.csr")
            openssl("req", "-new", "-key", self.tls_key, "-subj", "/CN=localhost", "-config", tls_ca.config, "-out", csr)
            tls_ca.sign(csr, self.tls_cert, "v3_tls_server", days=365)

    def _copy(self, src, name):
        dst = os.path.join(self.base, name)
        shutil.copyfile(src, dst)
        return dst

    def _concat(self, name, *cas):
        dst = os.path.join(self.base, name)
        write(dst, "".join(read(ca.cert) for ca in cas))
        return dst

    def temp(self, suffix):
        fd, path = tempfile.mkstemp(suffix=suffix, dir=self.scratch)
        os.close(fd)
        return path

    # -- EST --
    def enroll(self, csr_der):
        """Signs a DER CSR with CPO sub-CA 2; returns the DER PKCS#7 certs-only. ValueError: bad CSR."""
        csr = self.temp(".csr.der")
        cert = self.temp(".pem")
        try:
            write(csr, csr_der, "wb")
            try:
                # openssl 3.0 exits 0 even when the self-signature is bad: read what it says.
                said = openssl("req", "-inform", "DER", "-in", csr, "-verify", "-noout", merge_stderr=True).decode()
            except OpensslError as e:
                raise ValueError(str(e)) from e
            if "verify OK" not in said:
                raise ValueError("the CSR's self-signature does not verify")
            with self.lock:
                self.cpo_sub2.sign(csr, cert, "v3_secc", days=365, inform="DER")
            return openssl("crl2pkcs7", "-nocrl", "-certfile", cert, "-outform", "DER")
        finally:
            for path in (csr, cert):
                os.unlink(path)

    def cacerts(self):
        args = ["crl2pkcs7", "-nocrl", "-outform", "DER"]
        for ca in (self.cpo_sub2, self.cpo_sub1, self.v2g_root):
            args += ["-certfile", ca.cert]
        return openssl(*args)

    # -- roots --
    def root_entry(self, ca, root_type):
        pem = ca.cert
        der = openssl("x509", "-in", pem, "-outform", "DER")
        subject = openssl("x509", "-in", pem, "-noout", "-subject", "-nameopt", "RFC2253").decode()
        subject = subject.strip().split("=", 1)[1].strip()
        cn = next((part[3:] for part in subject.split(",") if part.startswith("CN=")), "")
        serial = openssl("x509", "-in", pem, "-noout", "-serial").decode().strip().split("=", 1)[1]
        ski = openssl("x509", "-in", pem, "-noout", "-ext", "subjectKeyIdentifier").decode().splitlines()[-1].strip()
        fingerprint = openssl("x509", "-in", pem, "-noout", "-fingerprint", "-sha256").decode().strip()
        fingerprint = fingerprint.split("=", 1)[1].replace(":", "").lower()
        dates = openssl("x509", "-in", pem, "-noout", "-startdate", "-enddate").decode().splitlines()
        valid = [iso_date(line.split("=", 1)[1]) for line in dates]
        return {
            "rootCertificateId": fingerprint,
            "distinguishedName": subject,
            "caCertificate": base64.b64encode(der).decode(),
            "commonName": cn,
            "rootAuthorityKeyIdentifier": ski.replace(":", ""),
            "rootIssuerSerialNumber": serial,
            "rootSerialNumber": serial,
            "validFrom": valid[0],
            "validTo": valid[1],
            "rootType": root_type,
        }

    # -- OCSP --
    def ocsp(self, request_der):
        req = self.temp(".ocspreq")
        resp = self.temp(".ocspresp")
        try:
            write(req, request_der, "wb")
            text = openssl("ocsp", "-reqin", req, "-req_text").decode()
            key = (hexfield(text, "Issuer Name Hash"), hexfield(text, "Issuer Key Hash"))
            issuer = next((ca for ca in self.cas if key in ca.hashes), self.v2g_root)  # else: "unknown"
            with self.lock:
                openssl("ocsp", "-index", os.path.join(issuer.dir, "index.txt"), "-CA", issuer.cert,
                        "-rsigner", issuer.cert, "-rkey", issuer.key, "-reqin", req, "-respout", resp,
                        "-ndays", "1")
            return read(resp, "rb")
        finally:
            for path in (req, resp):
                os.unlink(path)

    def ocsp_request_data(self, issuer, leaf_pem_path):
        """OCPP's OCSPRequestDataType for a certificate (SHA-256 CertID), from openssl's request text."""
        req = self.temp(".ocspreq")
        try:
            openssl("ocsp", "-issuer", issuer.cert, "-sha256", "-cert", leaf_pem_path, "-no_nonce", "-reqout", req)
            text = openssl("ocsp", "-reqin", req, "-req_text").decode()
        finally:
            os.unlink(req)
        return {
            "hashAlgorithm": "SHA256",
            "issuerNameHash": hexfield(text, "Issuer Name Hash").lower(),
            "issuerKeyHash": hexfield(text, "Issuer Key Hash").lower(),
            "serialNumber": hexfield(text, "Serial Number").lower(),
            "responderURL": self.ocsp_url,
        }

    # -- contracts --
    def contract(self, emaid, expired, revoked, issuer_name):
        issuer = self.mo_sub2 if issuer_name == "mo" else self.other_root
        key = self.temp(".key")
        csr = self.temp(".csr")
        cert = self.temp(".pem")
        try:
            new_key(key)
            openssl("req", "-new", "-key", key, "-subj", "/CN=x", "-config", issuer.config, "-out", csr)
            subject = f"/CN={emaid}/O=evbroker fake MO/C=DE/DC=MO"
            with self.lock:
                if expired:
                    now = datetime.datetime.now(datetime.timezone.utc)
                    issuer.sign(csr, cert, "v3_contract", subject=subject,
                                start=openssl_date(now - datetime.timedelta(days=730)),
                                end=openssl_date(now - datetime.timedelta(days=365)))
                else:
                    issuer.sign(csr, cert, "v3_contract", subject=subject, days=730)
                if revoked:
                    issuer.revoke(cert)
            leaf_pem = read(cert)
            key_pem = read(key)
            serial = openssl("x509", "-in", cert, "-noout", "-serial").decode().strip().split("=", 1)[1]
            fingerprint = openssl("x509", "-in", cert, "-noout", "-fingerprint", "-sha256").decode().strip()
            chain = leaf_pem + (read(self.mo_sub2.cert) + read(self.mo_sub1.cert) if issuer_name == "mo" else "")
            return {
                "emaid": emaid,
                "serial": serial.lower(),
                "chain_pem": chain,
                "leaf_pem": leaf_pem,
                "key_pem": key_pem,
                "leaf_sha256": fingerprint.split("=", 1)[1].replace(":", "").lower(),
                "ocsp_request_data": self.ocsp_request_data(issuer, cert),
            }
        finally:
            for path in (key, csr, cert):
                os.unlink(path)

    def revoke_serial(self, serial):
        serial = serial.strip().upper()
        if serial.startswith("0X"):
            serial = serial[2:]
        if len(serial) % 2:
            serial = "0" + serial
        with self.lock:
            for ca in self.cas:
                path = ca.issued_path(serial)
                if path:
                    ca.revoke(path)
                    return True
        return False


def iso_date(openssl_text):
    """'Jan  2 03:04:05 2030 GMT' -> '2030-01-02T03:04:05Z'."""
    parsed = datetime.datetime.strptime(" ".join(openssl_text.split()), "%b %d %H:%M:%S %Y GMT")
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- behaviour the tests control, tokens and statistics ---------------------------------------------

class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.fixed_token = args.token or None
        self.client_id = args.client_id
        self.client_secret = args.client_secret
        self.token_ttl = args.token_ttl
        self.default_emaid = args.emaid
        self.tokens = {}  # issued token -> expiry (monotonic seconds)
        self.fixed_token_refusals = 0
        self.reset()

    def reset(self):
        self.delay_ms = 0
        self.fail_status = None  # every request fails with this until cleared
        self.fail_count = 0      # the next fail_count requests fail with fail_count_status
        self.fail_count_status = 503
        self.emaid = self.default_emaid
        self.clear_stats()

    def clear_stats(self):
        self.total = 0
        self.requests = {}
        self.statuses = {}
        self.by_endpoint = {}
        self.tokens_issued = 0

    def config(self):
        return {"delay_ms": self.delay_ms, "fail_status": self.fail_status, "fail_count": self.fail_count,
                "emaid": self.emaid}

    def configure(self, body):
        with self.lock:
            if body.get("reset"):
                self.reset()
            if "delay_ms" in body:
                self.delay_ms = int(body["delay_ms"] or 0)
            status = body.get("fail_status")
            if body.get("fail_count"):  # a burst of failures, then recovery
                self.fail_count = int(body["fail_count"])
                self.fail_count_status = int(status) if status is not None else 503
            elif "fail_count" in body:
                self.fail_count = 0
            elif "fail_status" in body:  # alone: fail everything until cleared with null
                self.fail_status = int(status) if status is not None else None
            if "emaid" in body:
                self.emaid = str(body["emaid"])
            if body.get("token_expired"):
                self.tokens.clear()
                if self.fixed_token:
                    self.fixed_token_refusals = 1
            return self.config()

    def injected_failure(self):
        """The status to fail this request with, or None."""
        with self.lock:
            if self.fail_count > 0:
                self.fail_count -= 1
                return self.fail_count_status
            if self.fail_status is not None:
                return self.fail_status
            return None

    def issue_token(self):
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_ttl
            self.tokens_issued += 1
        return token

    def token_ok(self, token):
        with self.lock:
            if self.fixed_token and secrets.compare_digest(token, self.fixed_token):
                if self.fixed_token_refusals > 0:
                    self.fixed_token_refusals -= 1
                    return False
                return True
            expiry = self.tokens.get(token)
            if expiry is None:
                return False
            if expiry < time.monotonic():
                del self.tokens[token]
                return False
            return True

    def count(self, endpoint, status):
        with self.lock:
            self.total += 1
            self.requests[endpoint] = self.requests.get(endpoint, 0) + 1
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
            per = self.by_endpoint.setdefault(endpoint, {})
            per[str(status)] = per.get(str(status), 0) + 1

    def stats(self):
        with self.lock:
            return {"total": self.total, "requests": dict(self.requests), "statuses": dict(self.statuses),
                    "by_endpoint": {k: dict(v) for k, v in self.by_endpoint.items()},
                    "tokens_issued": self.tokens_issued}


# ---- HTTP ------------------------------------------------------------------------------------------

class Reply(Exception):
    """Raised by a route to answer with an error status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real back end
    server_version = "fake-hubject/1"
    timeout = 60  # an idle keep-alive connection's thread ends after this

    # Filled in by main(): (method, path) -> (handler method name, needs auth).
    routes = {}
    pki = None
    state = None

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        path = urllib.parse.urlsplit(self.path).path
        self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if path.startswith("/_test/"):
            self.run_route(method, path, counted=False)
            return
        endpoint = f"{method} /ocsp" if method == "GET" and path.startswith("/ocsp/") else f"{method} {path}"
        state = self.state
        if state.delay_ms:
            time.sleep(state.delay_ms / 1000.0)
        failure = state.injected_failure()
        if failure is not None:
            self.send_json(failure, {"error": f"injected failure {failure}"}, endpoint)
            return
        self.run_route(method, path, counted=True, endpoint=endpoint)

    def run_route(self, method, path, counted, endpoint=None):
        key = (method, "/ocsp/" if method == "GET" and path.startswith("/ocsp/") else path)
        route = self.routes.get(key)
        endpoint = endpoint if counted else None
        if route is None:
            self.send_json(404, {"error": f"no route {method} {path}"}, endpoint)
            return
        name, needs_auth = route
        try:
            if needs_auth:
                self.check_bearer()
            status, content_type, body = getattr(self, name)(path)
        except Reply as reply:
            self.send_json(reply.status, {"error": reply.message}, endpoint)
            return
        except Exception as e:  # noqa: BLE001 - a fake answers 500 and keeps serving
            self.send_json(500, {"error": f"{type(e).__name__}: {e}"}, endpoint)
            return
        self.send(status, content_type, body, endpoint)

    def check_bearer(self):
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or not self.state.token_ok(token.strip()):
            raise Reply(401, "missing, invalid or expired bearer token")

    def send(self, status, content_type, body, endpoint):
        if isinstance(body, str):
            body = body.encode()
        if endpoint is not None:  # before the answer: a client that reads stats next must see it
            self.state.count(endpoint, status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="fake-hubject"')
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status, obj, endpoint):
        self.send(status, "application/json", json.dumps(obj), endpoint)

    def json_body(self):
        try:
            body = json.loads(self.body or b"null")
        except ValueError as e:
            raise Reply(400, f"body is not JSON: {e}") from e
        if not isinstance(body, dict):
            raise Reply(400, "body must be a JSON object")
        return body

    def log_message(self, fmt, *args):
        # The client's port tells connections apart (keep-alive reuse shows as one port).
        sys.stderr.write("fake-hubject %s:%s %s\n" % (self.client_address[0], self.client_address[1], fmt % args))

    # -- Hubject routes: each returns (status, content type, body) --
    def enroll(self, _path):
        try:
            csr_der = base64.b64decode(self.body, validate=False)
        except (binascii.Error, ValueError) as e:
            raise Reply(400, f"body is not base64: {e}") from e
        try:
            p7 = self.pki.enroll(csr_der)
        except ValueError as e:
            raise Reply(400, f"bad CSR: {e}") from e
        return 200, "application/pkcs7-mime", base64.encodebytes(p7)

    def cacerts(self, _path):
        return 200, "application/pkcs7-mime", base64.encodebytes(self.pki.cacerts())

    def signed_contract_data(self, _path):
        body = self.json_body()
        req = body.get("certificateInstallationReq")
        namespace = body.get("xsdMsgDefNamespace")
        if not isinstance(req, str) or not req:
            raise Reply(400, "certificateInstallationReq must be a non-empty base64 string")
        if namespace not in NAMESPACES:
            raise Reply(400, f"xsdMsgDefNamespace must be one of {', '.join(NAMESPACES)}")
        try:
            exi = base64.b64decode(req, validate=True)
        except (binascii.Error, ValueError) as e:
            raise Reply(400, f"certificateInstallationReq is not base64: {e}") from e
        if exi == b"NO-CONTRACT":
            raise Reply(404, "no contract certificate for this request")
        res = base64.b64encode(b"CertificateInstallationRes:" + exi).decode()
        with self.state.lock:
            emaid = self.state.emaid
        answer = {"CCPResponse": {"emaidContent": [
            {"messageDef": {"metaData": None, "certificateInstallationRes": res, "emaid": emaid}}]}}
        return 200, "application/json", json.dumps(answer)

    def root_certs(self, _path):
        roots = [self.pki.root_entry(self.pki.v2g_root, "V2G"), self.pki.root_entry(self.pki.mo_root, "MO")]
        return 200, "application/json", json.dumps({"RootCertificateCollection": {"rootCertificates": roots}})

    def oauth_token(self, _path):
        form = urllib.parse.parse_qs(self.body.decode(errors="replace"))
        client_id = (form.get("client_id") or [None])[0]
        client_secret = (form.get("client_secret") or [None])[0]
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(auth[6:].strip(), validate=True).decode()
            except (binascii.Error, ValueError, UnicodeDecodeError) as e:
                raise Reply(401, "malformed Basic credentials") from e
            client_id, _, client_secret = decoded.partition(":")
            client_id = urllib.parse.unquote_plus(client_id)
            client_secret = urllib.parse.unquote_plus(client_secret)
        if (form.get("grant_type") or [None])[0] != "client_credentials":
            raise Reply(400, "unsupported_grant_type: only client_credentials")
        state = self.state
        if not (client_id and client_secret and secrets.compare_digest(client_id, state.client_id)
                and secrets.compare_digest(client_secret, state.client_secret)):
            raise Reply(401, "invalid_client")
        token = state.issue_token()
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": state.token_ttl}
        return 200, "application/json", json.dumps(answer)

    def ocsp_post(self, _path):
        return 200, "application/ocsp-response", self.pki.ocsp(self.body)

    def ocsp_get(self, path):
        encoded = urllib.parse.unquote(path[len("/ocsp/"):])
        try:
            request_der = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as e:
            raise Reply(400, f"OCSP request is not base64: {e}") from e
        return 200, "application/ocsp-response", self.pki.ocsp(request_der)

    # -- test control --
    def test_config(self, _path):
        if self.command == "GET":
            with self.state.lock:
                return 200, "application/json", json.dumps(self.state.config())
        return 200, "application/json", json.dumps(self.state.configure(self.json_body()))

    def test_contract(self, _path):
        body = self.json_body()
        emaid = body.get("emaid")
        issuer = body.get("issuer", "mo")
        if not isinstance(emaid, str) or not emaid or "/" in emaid:
            raise Reply(400, "emaid must be a non-empty string without '/'")
        if issuer not in ("mo", "other"):
            raise Reply(400, 'issuer must be "mo" or "other"')
        answer = self.pki.contract(emaid, bool(body.get("expired")), bool(body.get("revoked")), issuer)
        return 200, "application/json", json.dumps(answer)

    def test_revoke(self, _path):
        serial = self.json_body().get("serial")
        if not isinstance(serial, str) or not serial:
            raise Reply(400, "serial must be a hex string")
        if not self.pki.revoke_serial(serial):
            raise Reply(404, f"no certificate with serial {serial}")
        return 200, "application/json", json.dumps({"revoked": True})

    def test_stats(self, _path):
        return 200, "application/json", json.dumps(self.state.stats())


ROUTES = {
    ("POST", "/cpo/simpleenroll/ISO15118-2"): ("enroll", True),
    ("POST", "/cpo/simplereenroll/ISO15118-2"): ("enroll", True),
    ("GET", "/cpo/cacerts/ISO15118-2"): ("cacerts", True),
    ("POST", "/v1/ccp/signedContractData"): ("signed_contract_data", True),
    ("GET", "/v1/root/rootCerts"): ("root_certs", True),
    ("POST", "/oauth/token"): ("oauth_token", False),
    ("POST", "/ocsp"): ("ocsp_post", False),
    ("GET", "/ocsp/"): ("ocsp_get", False),
    ("GET", "/_test/config"): ("test_config", False),
    ("POST", "/_test/config"): ("test_config", False),
    ("POST", "/_test/contract"): ("test_contract", False),
    ("POST", "/_test/revoke"): ("test_revoke", False),
    ("GET", "/_test/stats"): ("test_stats", False),
}


class TlsServer(http.server.ThreadingHTTPServer):
    """Wraps each accepted socket in TLS; the handshake runs in the request's thread (on first read),
    so one client that never handshakes cannot block the accept loop."""

    tls_context = None

    def get_request(self):
        sock, addr = super().get_request()
        return self.tls_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        sys.stderr.write(f"fake-hubject {client_address[0]} connection error: {sys.exc_info()[1]}\n")


def main():
    parser = argparse.ArgumentParser(description="Fake Hubject + OCSP responder for evbroker tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", required=True, help="where the test PKI is created (wiped sub-directories)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a certificate from DIR/tls-ca.pem")
    parser.add_argument("--token", default="", help="a fixed bearer token that is always accepted")
    parser.add_argument("--client-id", default="evbroker-test")
    parser.add_argument("--client-secret", default="secret")
    parser.add_argument("--token-ttl", type=int, default=3600, help="expires_in of issued tokens, seconds")
    parser.add_argument("--emaid", default=DEFAULT_EMAID, help="eMAID that signedContractData returns")
    args = parser.parse_args()

    base = os.path.abspath(args.dir)
    os.makedirs(base, exist_ok=True)
    for entry in os.listdir(base):  # a fresh PKI each start: the OCSP URLs name this run's port
        path = os.path.join(base, entry)
        shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)

    server_class = TlsServer if args.tls else http.server.ThreadingHTTPServer
    httpd = server_class((args.host, args.port), Handler)
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    scheme = "https" if args.tls else "http"
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"{scheme}://{host}:{port}"

    pki = Pki(base, base_url, args.tls)
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(pki.tls_cert, pki.tls_key)
        httpd.tls_context = context

    Handler.routes = ROUTES
    Handler.pki = pki
    Handler.state = State(args)

    def stop(_signum, _frame):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    ready = {"port": port, "url": base_url, "dir": base, **pki.files,
             "token": args.token or None, "client_id": args.client_id, "client_secret": args.client_secret}
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()
    httpd.serve_forever()
    httpd.server_close()


if __name__ == "__main__":
    main()
