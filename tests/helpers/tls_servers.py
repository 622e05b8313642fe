"""Real TLS (and deliberately broken) servers on 127.0.0.1 for the probe tests and the benchmark.

Certificates are made here with ``cryptography``: a test CA and leaves that are not CAs and carry a
non-critical subjectAltName, because sslyze validates with cryptography's strict verifier.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

LOOPBACK = "127.0.0.1"

def require_binary(name: str) -> str:
    """The path of ``name``; a clear failure (never a skip) when it is missing."""
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"the {name!r} binary is required by this test: install it (bash scripts/test.sh does)")
    return path

def free_port(host: str = LOOPBACK) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])

def wait_listening(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {host}:{port} after {timeout} s")

def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

def _pem_key(key: object) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,  # type: ignore[attr-defined]
                             serialization.NoEncryption())

@dataclass(frozen=True)
class Issuer:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

@dataclass(frozen=True)
class Leaf:
    cert: Path
    key: Path

class CertFactory:
    """A test CA in ``directory`` and leaves signed by it (or self-signed)."""

    def __init__(self, directory: Path, ca_name: str = "posture test CA") -> None:
        self.dir = directory
        self.now = dt.datetime.now(dt.timezone.utc)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = (
            x509.CertificateBuilder().subject_name(_name(ca_name)).issuer_name(_name(ca_name))
            .public_key(self.ca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(self.now - dt.timedelta(days=30)).not_valid_after(self.now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.ca_key.public_key()), critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.ca_file = directory / "ca.pem"
        self.ca_file.write_bytes(self.ca.public_bytes(serialization.Encoding.PEM))

    def intermediate(self, name: str = "posture test intermediate") -> Issuer:
        """An intermediate CA signed by the test CA (for chains a server must serve whole)."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder().subject_name(_name(name)).issuer_name(self.ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(self.now - dt.timedelta(days=10)).not_valid_after(self.now + dt.timedelta(days=300))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()),
                           critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )
        return Issuer(cert, key)

    def leaf(self, name: str, *, sans: tuple[str, ...] = ("localhost", LOOPBACK), key: str = "rsa2048",
             valid_days: tuple[int, int] = (-1, 20), self_signed: bool = False, issuer: Issuer | None = None,
             serve_chain: bool = True, revocation: bool = False) -> Leaf:
        """A server certificate; ``valid_days`` are (not_before, not_after) offsets from now.

        With ``issuer`` (an intermediate) the PEM holds leaf + intermediate unless ``serve_chain`` is false
        (the "missing intermediate" misconfiguration). ``revocation`` adds OCSP and CRL URLs.
        """
        if key.startswith("rsa"):
            private = rsa.generate_private_key(65537, int(key[3:]))
        else:
            private = ec.generate_private_key(ec.SECP256R1())
        signer = issuer or Issuer(self.ca, self.ca_key)
        issuer_key, issuer_name = (private, _name(name)) if self_signed else (signer.key, signer.cert.subject)
        alt = [x509.IPAddress(ipaddress.ip_address(s)) if s[0].isdigit() else x509.DNSName(s) for s in sans]
        builder = (
            x509.CertificateBuilder().subject_name(_name(name)).issuer_name(issuer_name)
            .public_key(private.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(self.now + dt.timedelta(days=valid_days[0]))
            .not_valid_after(self.now + dt.timedelta(days=valid_days[1]))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        )
        if not self_signed:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.key.public_key()), critical=False)
        if revocation:
            builder = builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier("http://ocsp.test.invalid"))]),
                critical=False).add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                    [x509.UniformResourceIdentifier("http://crl.test.invalid/ca.crl")], None, None, None)]),
                    critical=False)
        cert = builder.sign(issuer_key, hashes.SHA256())
        leaf = Leaf(self.dir / f"{name}.pem", self.dir / f"{name}.key")
        pem = cert.public_bytes(serialization.Encoding.PEM)
        if issuer is not None and serve_chain:
            pem += issuer.cert.public_bytes(serialization.Encoding.PEM)
        leaf.cert.write_bytes(pem)
        leaf.key.write_bytes(_pem_key(private))
        return leaf

    def sha1_leaf(self, name: str, sans: tuple[str, ...] = ("localhost", LOOPBACK), days: int = 20) -> Leaf:
        """A leaf signed with SHA-1 by the test CA (``openssl x509 -req -sha1``: cryptography refuses SHA-1)."""
        private = rsa.generate_private_key(65537, 2048)
        alt = [x509.IPAddress(ipaddress.ip_address(s)) if s[0].isdigit() else x509.DNSName(s) for s in sans]
        csr = (x509.CertificateSigningRequestBuilder().subject_name(_name(name))
               .add_extension(x509.SubjectAlternativeName(alt), critical=False).sign(private, hashes.SHA256()))
        paths = {k: self.dir / f"{name}.{k}" for k in ("csr", "cakey", "ext")}
        paths["csr"].write_bytes(csr.public_bytes(serialization.Encoding.PEM))
        paths["cakey"].write_bytes(_pem_key(self.ca_key))
        san = ",".join(f"IP:{s}" if s[0].isdigit() else f"DNS:{s}" for s in sans)
        paths["ext"].write_text(f"basicConstraints=critical,CA:FALSE\nsubjectAltName={san}\n"
                                "extendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\n")
        leaf = Leaf(self.dir / f"{name}.pem", self.dir / f"{name}.key")
        subprocess.run([require_binary("openssl"), "x509", "-req", "-sha1", "-days", str(days), "-in",
                        str(paths["csr"]), "-CA", str(self.ca_file), "-CAkey", str(paths["cakey"]),
                        "-set_serial", "4242", "-extfile", str(paths["ext"]), "-out", str(leaf.cert)],
                       check=True, capture_output=True)
        leaf.key.write_bytes(_pem_key(private))
        return leaf

    def dh_params(self, bits: int = 1024) -> Path:
        """Diffie-Hellman parameters of ``bits`` (``openssl dhparam``), for a weak-DH server."""
        path = self.dir / f"dh{bits}.pem"
        if not path.exists():
            subprocess.run([require_binary("openssl"), "dhparam", "-out", str(path), str(bits)], check=True,
                           capture_output=True)
        return path

class OpenSSLServer:
    """``openssl s_server -www`` on 127.0.0.1 with extra flags (``-tls1_2``, ``-cipher ...``)."""

    def __init__(self, leaf: Leaf, *flags: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.cmd = [require_binary("openssl"), "s_server", "-accept", f"{LOOPBACK}:{self.port}", "-cert",
                    str(leaf.cert), "-key", str(leaf.key), "-www", "-quiet", *flags]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def target(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def start(self) -> OpenSSLServer:
        self.proc = subprocess.Popen(self.cmd,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(LOOPBACK, self.port)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

class _ThreadedServer:
    """Accept loop on a background thread; subclasses decide what to do with each connection."""

    def __init__(self, host: str = LOOPBACK, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.host = host
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self._held: list[socket.socket] = []
        self._stop = threading.Event()

    @property
    def target(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def start(self) -> _ThreadedServer:
        threading.Thread(target=self._loop, daemon=True).start()
        return self

    def _loop(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle_safely, args=(conn,), daemon=True).start()

    def _handle_safely(self, conn: socket.socket) -> None:
        try:
            self.handle(conn)
        except OSError:
            pass

    def handle(self, conn: socket.socket) -> None:
        conn.close()

    def stop(self) -> None:
        self._stop.set()
        self.sock.close()
        for c in self._held:
            try:
                c.close()
            except OSError:
                pass

class RecordingServer(_ThreadedServer):
    """Counts connections and closes them: proves that an out-of-scope address was never contacted."""

class SilentServer(_ThreadedServer):
    """Accepts TCP and never says a word."""

    def handle(self, conn: socket.socket) -> None:
        self._held.append(conn)

class ResetServer(_ThreadedServer):
    """Accepts TCP and answers with a reset (SO_LINGER 0)."""

    def handle(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

class PlainHTTPServer(_ThreadedServer):
    """Speaks plain HTTP, whatever it receives."""

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(2)
        try:
            conn.recv(4096)
        except OSError:
            pass
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        conn.close()

class BannerServer(_ThreadedServer):
    """Sends a fixed banner (e.g. an old SSH version string) and waits."""

    def __init__(self, banner: bytes, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.banner = banner

    def handle(self, conn: socket.socket) -> None:
        conn.sendall(self.banner)
        conn.settimeout(5)
        try:
            conn.recv(1024)
        except OSError:
            pass
        conn.close()

class PythonTLSServer(_ThreadedServer):
    """A Python ``ssl`` HTTPS server (optionally TLS 1.3 only, optionally sending HSTS)."""

    def __init__(self, leaf: Leaf, *, minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
                 maximum: ssl.TLSVersion = ssl.TLSVersion.MAXIMUM_SUPPORTED, hsts: int | None = None) -> None:
        super().__init__()
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.minimum_version, self.ctx.maximum_version = minimum, maximum
        self.ctx.load_cert_chain(leaf.cert, leaf.key)
        self.hsts = hsts

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()
            return
        try:
            tls.recv(4096)
            header = f"Strict-Transport-Security: max-age={self.hsts}\r\n" if self.hsts else ""
            tls.sendall(f"HTTP/1.1 200 OK\r\n{header}Content-Length: 2\r\nConnection: close\r\n\r\nok".encode())
        except (ssl.SSLError, OSError):
            pass
        finally:
            tls.close()

class CountingProxy:
    """TCP proxies on 127.0.0.1 in front of real servers, counting simultaneous client connections across all.

    One selector thread serves every port on purpose: in each round it reads every client socket before it
    accepts new ones, and checks each accepted socket for an end of stream before accepting the next, so a
    client that closes one connection and opens the next (on any port) is never counted twice — loopback
    delivers the FIN before the next SYN.
    """

    def __init__(self, upstreams: list[tuple[str, int]], counter: ConnectionCounter) -> None:
        self.counter = counter
        self.listeners: dict[socket.socket, tuple[str, int]] = {}
        for upstream in upstreams:
            sock = socket.socket()
            sock.bind((LOOPBACK, 0))
            sock.listen(128)
            sock.setblocking(False)
            self.listeners[sock] = upstream
        self._stop = threading.Event()

    @property
    def targets(self) -> list[str]:
        return [f"{LOOPBACK}:{s.getsockname()[1]}" for s in self.listeners]

    def start(self) -> CountingProxy:
        threading.Thread(target=self._loop, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        import select
        import selectors

        sel = selectors.DefaultSelector()
        for listener in self.listeners:
            sel.register(listener, selectors.EVENT_READ, None)
        peers: dict[socket.socket, tuple[socket.socket, bool]] = {}  # socket -> (other end, is client side)

        def drop(s: socket.socket) -> None:
            other, _client_side = peers.pop(s)
            peers.pop(other, None)
            for x in (s, other):
                try:
                    sel.unregister(x)
                except (KeyError, ValueError):
                    pass
                x.close()
            self.counter.closed()

        def pump(s: socket.socket) -> None:
            """Relay everything ``s`` has buffered; drop the pair at end of stream."""
            while s in peers:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    drop(s)
                    return
                try:
                    peers[s][0].sendall(data)
                except OSError:
                    drop(s)
                    return
                if not select.select([s], [], [], 0)[0]:
                    return

        while not self._stop.is_set():
            events = sel.select(0.2)
            for key, _ in events:
                if key.fileobj not in self.listeners and key.fileobj in peers:
                    pump(key.fileobj)  # type: ignore[arg-type]
            accepting = [key.fileobj for key, _ in events if key.fileobj in self.listeners]
            if not accepting:
                continue
            # Every end of stream already delivered is counted before a new connection is.
            for ready in select.select(list(peers), [], [], 0)[0] if peers else ():
                if ready in peers:
                    pump(ready)
            for listener, client in ((li, c) for li in accepting for c in _accept_all(li)):  # type: ignore[arg-type]
                self.counter.opened()

                try:
                    server = socket.create_connection(self.listeners[listener], timeout=5)
                except OSError:
                    client.close()
                    self.counter.closed()
                    continue
                client.setblocking(True)
                client.settimeout(5)
                peers[client], peers[server] = (server, True), (client, False)
                sel.register(client, selectors.EVENT_READ, None)
                sel.register(server, selectors.EVENT_READ, None)
                if select.select([client], [], [], 0)[0]:  # closed while still in the accept queue
                    pump(client)
        for s in list(peers) + list(self.listeners):
            s.close()

def _accept_all(listener: socket.socket) -> Iterator[socket.socket]:
    """Accept one pending connection at a time (lazily: the caller checks each before the next)."""
    while True:
        try:
            client, _ = listener.accept()
        except (BlockingIOError, OSError):
            return
        yield client

class ConnectionCounter:
    """Simultaneous connections seen by several servers together (the servers of one host address)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current = 0
        self.peak = 0
        self.total = 0

    def opened(self) -> None:
        with self.lock:
            self.current += 1
            self.total += 1
            self.peak = max(self.peak, self.current)

    def closed(self) -> None:
        with self.lock:
            self.current -= 1
