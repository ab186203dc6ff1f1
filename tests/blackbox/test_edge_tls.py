"""TLS termination in keel itself (TLS_CERT_FILE/TLS_KEY_FILE), with a self-signed certificate."""

from __future__ import annotations

import socket
import ssl
import subprocess
import time

import httpx
import pytest

from keel_harness import KeelServer

PAGE = "/api/v1/demo/pages/1"
HSTS = "max-age=63072000; includeSubDomains"


class TlsKeelServer(KeelServer):
    """TlsKeelServer is a KeelServer reached over https:// (the harness waits for /health on base_url)."""

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """certificate makes a throwaway P-256 certificate for localhost and 127.0.0.1 with the openssl CLI."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def tls_server(certificate):
    cert, key = certificate
    srv = TlsKeelServer({"TLS_CERT_FILE": cert, "TLS_KEY_FILE": key, "IDLE_TIMEOUT_MS": "1500"})
    patch = pytest.MonkeyPatch()
    # The harness polls /health with a plain httpx.get: let it trust our certificate.
    patch.setenv("SSL_CERT_FILE", cert)
    try:
        srv.start()
        yield srv
    finally:
        patch.undo()
        srv.close()


def tls_socket(port: int, cert: str, context: ssl.SSLContext | None = None) -> ssl.SSLSocket:
    context = context or ssl.create_default_context(cafile=cert)
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return context.wrap_socket(raw, server_hostname="localhost")


def read_responses(sock: ssl.SSLSocket, count: int) -> list[bytes]:
    """read_responses reads `count` Content-Length-framed responses."""
    data, responses = b"", []
    while len(responses) < count:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"closed early; got {data[:200]!r}"
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int([line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:")][0])
        while len(rest) < length:
            rest += sock.recv(65536)
        responses.append(head)
        data = rest[length:]
    return responses


def test_https_request_is_served_with_hsts(tls_server, certificate):
    cert, _ = certificate
    with httpx.Client(base_url=tls_server.base_url, verify=cert, timeout=10) as client:
        resp = client.get(PAGE)
        assert resp.status_code == 200
        assert resp.json() == {"n": 1}
        assert resp.headers["strict-transport-security"] == HSTS
        assert resp.http_version == "HTTP/1.1"
        # Keep-alive: several requests, including a body, on the same TLS connection.
        created = client.post("/api/v1/demo/widgets", json={"name": "tls", "quantity": 3})
        assert created.status_code == 201, created.text
        assert client.get(created.headers["location"]).json()["name"] == "tls"


def test_a_large_response_arrives_whole_over_tls(tls_server, certificate):
    """A body far larger than one TLS record (the OpenAPI document, ~125 KiB) arrives complete."""
    cert, _ = certificate
    with httpx.Client(base_url=tls_server.base_url, verify=cert, timeout=10) as client:
        plain = {"Accept-Encoding": "identity"}  # uncompressed: several TLS records' worth
        first = client.get("/openapi.json", headers=plain)
        second = client.get("/openapi.json", headers=plain)  # same connection, after a large write
    for resp in (first, second):
        assert resp.status_code == 200
        assert int(resp.headers["content-length"]) > 64 * 1024
        assert len(resp.content) == int(resp.headers["content-length"])
        assert resp.json()["openapi"].startswith("3.")


def test_verification_by_name_works_too(tls_server, certificate):
    cert, _ = certificate
    resp = httpx.get(f"https://localhost:{tls_server.port}/health", verify=cert, timeout=10)
    assert resp.status_code == 200


def test_only_tls12_and_newer_with_modern_ciphers(tls_server, certificate):
    cert, _ = certificate
    with tls_socket(tls_server.port, cert) as sock:
        assert sock.version() in ("TLSv1.2", "TLSv1.3")
        assert sock.selected_alpn_protocol() is None
    tls12 = ssl.create_default_context(cafile=cert)
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    tls12.set_alpn_protocols(["h2", "http/1.1"])
    with tls_socket(tls_server.port, cert, tls12) as sock:
        assert sock.version() == "TLSv1.2"
        assert sock.cipher()[0] in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                                    "ECDHE-ECDSA-CHACHA20-POLY1305")
        assert sock.selected_alpn_protocol() == "http/1.1"
    # No forward secrecy (static RSA key exchange) or CBC: refused.
    weak = ssl.create_default_context(cafile=cert)
    weak.maximum_version = ssl.TLSVersion.TLSv1_2
    weak.set_ciphers("AES128-SHA:AES256-SHA:ECDHE-ECDSA-AES128-SHA")
    with pytest.raises(ssl.SSLError) as refused:
        tls_socket(tls_server.port, cert, weak).close()
    assert refused.value.reason == "SSLV3_ALERT_HANDSHAKE_FAILURE"  # the server's alert: no shared cipher


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls11_is_refused_by_the_server(tls_server, certificate):
    cert, _ = certificate
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.load_verify_locations(cert)
    old.minimum_version = ssl.TLSVersion.TLSv1
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("ALL:@SECLEVEL=0")  # so that the client is willing to try
    with pytest.raises(ssl.SSLError) as refused:
        tls_socket(tls_server.port, cert, old).close()
    assert refused.value.reason == "TLSV1_ALERT_PROTOCOL_VERSION"  # the server's alert


def test_pipelined_requests_over_tls(tls_server, certificate):
    cert, _ = certificate
    with tls_socket(tls_server.port, cert) as sock:
        request = f"GET {PAGE} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
        sock.sendall(request * 3)
        heads = read_responses(sock, 3)
        assert all(h.startswith(b"HTTP/1.1 200") for h in heads), heads


def test_plain_http_on_the_tls_port_gets_no_http_answer(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as sock:
        sock.sendall(f"GET {PAGE} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        data = b""
        try:
            while chunk := sock.recv(4096):
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        assert not data.startswith(b"HTTP/"), data[:100]


def test_idle_tls_connection_is_closed_after_idle_timeout(tls_server, certificate):
    cert, _ = certificate
    with tls_socket(tls_server.port, cert) as sock:
        sock.sendall(f"GET {PAGE} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        read_responses(sock, 1)
        start = time.monotonic()
        sock.settimeout(5)
        try:
            assert sock.recv(1) == b""
        except (ConnectionResetError, ssl.SSLError):
            pass
        assert 1.0 < time.monotonic() - start < 4.0


def test_bad_certificate_stops_startup_with_a_clear_message(tmp_path):
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate\n")
    srv = KeelServer({"TLS_CERT_FILE": str(cert), "TLS_KEY_FILE": str(cert)})
    from keel_harness import SERVERS, run_cli
    SERVERS.append(srv)
    result = run_cli(["serve", "--migrate"], srv.env, cwd=srv.tmp, timeout=20)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "TLS_CERT_FILE" in result.stderr, result.stderr
