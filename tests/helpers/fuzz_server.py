"""Fork server for the fuzzing suite: imports posture once, then runs each case in a forked child.

Run as a script (``python tests/helpers/fuzz_server.py``) with ``PYTHONPATH`` naming the code under test,
so the same harness can measure any checkout (``POSTURE_FUZZ_ROOT``). It imports only posture and the
standard library. Protocol: one JSON request per line on stdin, one JSON answer per line on stdout.

Each child gets an address-space limit (``RLIMIT_AS``), stdin from /dev/null, stdout and stderr in files, a
socket guard that lets nothing leave loopback (and resolves no name but ``localhost``), and a ``PATH`` whose
``nmap`` only logs and fails. The parent kills a child that outlives its timeout (a hang).
"""

from __future__ import annotations

import ipaddress
import json
import os
import resource
import select
import signal
import socket
import sys
import time
import traceback

_LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(addr, "ipv4_mapped", None)
    return bool((mapped or addr).is_loopback)


def _install_guard(log_path: str) -> None:
    """No packet leaves loopback: non-loopback connects and name lookups are refused and logged."""

    def log(what: str) -> None:
        with open(log_path, "a", encoding="utf-8") as fh:
            fh.write(what[:300] + "\n")

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        h = host.decode() if isinstance(host, bytes) else host
        if h is None or _is_loopback(h):
            return real_getaddrinfo(host, *args, **kwargs)
        log(f"getaddrinfo {h!r}")
        raise socket.gaierror(socket.EAI_NONAME, "name lookups are blocked by the fuzz harness")

    def guarded(real):  # type: ignore[no-untyped-def]
        def call(self, address, *args):  # type: ignore[no-untyped-def]
            if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
                log(f"{real.__name__} {address!r}")
                raise OSError(101, "network outside loopback is blocked by the fuzz harness")
            return real(self, address, *args)
        return call

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = guarded(socket.socket.connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded(socket.socket.connect_ex)  # type: ignore[method-assign]

    real_sendto = socket.socket.sendto

    def sendto(self, data, *rest):  # type: ignore[no-untyped-def]
        address = rest[-1]
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            log(f"sendto {address!r}")
            raise OSError(101, "network outside loopback is blocked by the fuzz harness")
        return real_sendto(self, data, *rest)

    socket.socket.sendto = sendto  # type: ignore[method-assign]


def _child(req: dict, out_path: str, err_path: str, net_log: str) -> int:
    os.chdir(req.get("cwd") or os.getcwd())
    os.environ.update(req.get("env") or {})
    mem = int(req.get("mem_mb") or 0) << 20
    if mem:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
    os.dup2(os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    _install_guard(net_log)
    try:
        api = req.get("api")
        if api:
            return _run_api(api)
        from posture.cli import main
        return int(main(req["argv"]) or 0)
    except SystemExit as e:  # argparse
        return e.code if isinstance(e.code, int) else 2
    except BaseException:
        traceback.print_exc()
        return 3
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def _run_api(api: dict) -> int:
    import importlib

    from posture.errors import InputError
    module, _, name = api["func"].partition(":")
    func = importlib.import_module(module)
    for part in name.split("."):
        func = getattr(func, part)
    try:
        result = func(*api.get("args", ()), **api.get("kwargs", {}))
        if api.get("consume"):
            list(result)
    except InputError as e:
        print(f"posture: error: {e}", file=sys.stderr)
        return 2
    return 0


def _wait(pid: int, timeout: float) -> tuple[int, bool, resource.struct_rusage | None]:
    """(wait status, timed out, rusage) of ``pid``, killing it after ``timeout`` seconds."""
    fd = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        hung = not ready
        if hung:
            os.kill(pid, signal.SIGKILL)
        _, status, usage = os.wait4(pid, 0)
        return status, hung, usage
    finally:
        os.close(fd)


def _tail(path: str, limit: int = 8000) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - limit))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _warm() -> None:
    """Import what every case needs once, so forked children start warm."""
    import posture.cli
    posture.cli.build_parser()
    for mod in ("posture.api", "posture.providers.terraform", "posture.gate", "posture.tickets.config",
                "posture.discovery.scope", "posture.profiles", "posture.rules.lang", "posture.compliance",
                "posture.segmentation", "posture.statement.text", "posture.history", "sslyze", "hcl2",
                "posture.rules.catalog"):
        try:
            __import__(mod)
        except Exception:
            continue
    try:
        import hcl2
        hcl2.loads('a = 1\n')
    except Exception:
        pass
    # run a few ordinary commands once: what they load lazily (rule packs, knowledge tables) is then shared
    sink = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    for argv in json.loads(os.environ.get("POSTURE_FUZZ_WARM") or "[]"):
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = sink
        try:
            posture.cli.main(argv)
        except BaseException:
            pass
        finally:
            sys.stdout, sys.stderr = saved


def serve() -> None:
    """Answer requests until stdin closes."""
    _warm()
    channel = sys.__stdout__
    assert channel is not None
    for line in sys.stdin:
        req = json.loads(line)
        scratch = req["scratch"]
        out_path, err_path, net_log = (os.path.join(scratch, n) for n in (".out", ".err", ".net"))
        for p in (net_log,):
            if os.path.exists(p):
                os.unlink(p)
        channel.flush()
        sys.stderr.flush()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 3
            try:
                code = _child(req, out_path, err_path, net_log)
            finally:
                os._exit(code if isinstance(code, int) and 0 <= code < 256 else 3)
        status, hung, usage = _wait(pid, float(req.get("timeout") or 10))
        answer = {
            "hung": hung,
            "rc": os.waitstatus_to_exitcode(status) if not hung else None,
            "elapsed": round(time.monotonic() - started, 3),
            "maxrss_mb": round(usage.ru_maxrss / 1024, 1) if usage else None,
            "stderr": _tail(err_path),
            "stdout_bytes": os.path.getsize(out_path) if os.path.exists(out_path) else 0,
            "net": _tail(net_log, 2000).splitlines(),
        }
        channel.write(json.dumps(answer) + "\n")
        channel.flush()


if __name__ == "__main__":
    serve()
