"""A central and its stations as processes on one machine: each node is a data folder with its
own SQLite file and role, running the real ``ektp`` program; they talk HTTP on loopback,
through a relay that can cut the network. Used by ``ektp demo --stations``, the chaos run and
the end-to-end tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

DB_FILES = ("ektp.sqlite3", "ektp.sqlite3-wal", "ektp.sqlite3-shm")


class NodeError(RuntimeError):
    """An ``ektp`` command of a node failed; the message holds its output."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Node:
    """One ``ektp`` installation: a data folder, a role (central or station), an environment."""

    def __init__(self, data_dir: Path, role: str, **extra_env: str):
        self.data_dir, self.role = Path(data_dir), role
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "EKTP_DATA_DIR": str(self.data_dir), "EKTP_ROLE": role,
                    "EKTP_DEBUG": "true", "EKTP_STATION_MIN_FREE_MB": "1",
                    "EKTP_LOG_LEVEL": "ERROR", "DJANGO_SETTINGS_MODULE": "ektp.settings"}
        # Every node on its own SQLite file, unless told otherwise (a DATABASE_URL here).
        self.env.pop("DATABASE_URL", None)
        self.env.update(extra_env)
        self.server: subprocess.Popen | None = None
        self.port = 0

    def ektp(self, *args: str, check: bool = True, timeout: float = 600
             ) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "ektp.cli", *args], env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode:
            raise NodeError(f"ektp {' '.join(args)}:\n{result.stdout}{result.stderr}")
        return result

    def shell(self, code: str) -> str:
        return self.ektp("shell", "--no-imports", "-c", code).stdout.strip()

    def copy_register_to(self, other: Node) -> None:
        """A station laptop set up from an image of central's register (reference data)."""
        for name in DB_FILES:
            if (self.data_dir / name).exists():
                shutil.copy(self.data_dir / name, other.data_dir / name)

    # --- central's web server -------------------------------------------------------------

    def serve(self, port: int | None = None, *, threads: int = 8, wait: float = 60) -> int:
        self.port = port or self.port or free_port()
        self.server = subprocess.Popen(
            [sys.executable, "-m", "ektp.cli", "serve", "--port", str(self.port), "--no-worker",
             "--threads", str(threads)], env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise NodeError(f"ektp serve stopped with code {self.server.returncode}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2)
                return self.port
            except OSError:
                time.sleep(0.2)
        self.kill()
        raise NodeError("ektp serve did not answer in time")

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=30)

    def kill(self) -> None:
        """``kill -9``: no chance to finish a request or close a file."""
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGKILL)
            self.server.wait(timeout=30)


class Relay:
    """The network between stations and central: a TCP relay on loopback. ``cut()`` drops
    every open connection and refuses new ones, as a dead line would; ``restore()`` mends it."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connected = True
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        with self._lock:
            self.connected = False
            for sock in self._open:
                _close(sock)
            self._open.clear()

    def restore(self) -> None:
        self.connected = True

    def close(self) -> None:
        self.cut()
        _close(self.listener)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.connected:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                upstream.settimeout(None)  # a long ingest may keep the answer a while
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open.update((client, upstream))
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(target)
            _close(source)
            _close(target)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
