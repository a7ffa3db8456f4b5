"""--trust-service: the published key list fetched over https pins the keys (loopback
https server with a certificate made here; plain http is refused)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _cert(folder):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def key_service(client, tmp_path):
    """Serves what GET /api/v1/signing-keys of our app answers, over https on loopback."""
    body = client.get("/api/v1/signing-keys").get_data()
    cert, key = _cert(tmp_path)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            ok = self.path == "/api/v1/signing-keys"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if ok else b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()
    server.server_close()


def test_trust_service_pins_the_published_keys(runner, proof_site, add_events, key_service,
                                               tmp_path):
    url, cert = key_service
    add_events(3)
    out = tmp_path / "b.zip"
    assert runner.invoke(args=["bundle", "--site", proof_site.site_key, "--out",
                               str(out)]).exit_code == 0
    ok = runner.invoke(args=["verify", str(out), "--trust-service", url, "--ca-file",
                             str(cert)])
    assert ok.exit_code == 0 and ok.output.startswith("VALID: "), ok.output
    # Without the CA the certificate does not check: no pins, no VALID.
    bad = runner.invoke(args=["verify", str(out), "--trust-service", url])
    assert bad.exit_code != 0 and "VALID" not in bad.output.splitlines()[0]
    plain = runner.invoke(args=["verify", str(out), "--trust-service",
                                url.replace("https", "http")])
    assert plain.exit_code == 2 and "https" in plain.output
