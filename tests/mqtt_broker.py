"""A real mosquitto broker on 127.0.0.1 for the MQTT transport tests (skipped with a reason when absent).

``make test`` installs mosquitto (apt-get); the fixture starts ``mosquitto -c <temp config>`` on a free loopback
port, waits until it accepts connections, and stops it at the end of the session.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

MOSQUITTO_PATHS = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


def _find_mosquitto() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    return next((path for path in MOSQUITTO_PATHS if Path(path).is_file()), None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def mqtt_broker() -> Iterator[tuple[str, int]]:
    """(host, port) of a mosquitto broker listening on 127.0.0.1 for this test session."""
    binary = _find_mosquitto()
    if binary is None:
        pytest.skip("mosquitto is not installed (apt-get install mosquitto; `make test` does it)")
    with tempfile.TemporaryDirectory(prefix="v2xc-mosquitto-") as folder:
        port = _free_port()
        config = Path(folder) / "mosquitto.conf"
        config.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n",
            encoding="utf-8",
        )
        with (Path(folder) / "mosquitto.log").open("wb") as log:
            process = subprocess.Popen([binary, "-c", str(config)], stdout=log, stderr=log)
            try:
                deadline = time.monotonic() + 10.0
                while not _accepts(port):
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.flush()
                        text = (Path(folder) / "mosquitto.log").read_text(errors="replace")
                        pytest.fail(f"mosquitto did not start on 127.0.0.1:{port}: {text[-800:]}")
                    time.sleep(0.05)
                yield "127.0.0.1", port
            finally:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
