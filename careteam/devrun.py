"""`make run`'s process runner: the web server, a Celery worker and beat from ``Procfile.dev``.

Usage: ``python -m careteam.devrun [Procfile.dev]``.

Each process runs in its own session, so the terminal's Ctrl-C reaches only this runner, which
then stops them in order and calmly: SIGTERM to each process itself (the Celery worker makes a
warm shutdown and stops its own pool, so no "exited with signal 15" errors), then, once it has
gone, to anything left in its process group (the runserver autoreloader's child). A process that
does not stop within ``DEVRUN_STOP_TIMEOUT`` seconds (default 20) is killed, and said so. A
process that dies on its own stops the rest, with its name and exit code, and the runner exits 1.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TextIO

COLOURS = ("\033[32m", "\033[33m", "\033[36m", "\033[35m", "\033[34m")
RESET = "\033[0m"


@dataclass
class Process:
    name: str
    command: str
    popen: subprocess.Popen[bytes] | None = None
    reader: threading.Thread | None = None


def parse_procfile(text: str) -> list[Process]:
    """``name: command`` lines; blank lines and ``#`` comments are skipped."""
    processes = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip() or not command.strip():
            raise ValueError(f"Procfile line {number} is not 'name: command': {raw!r}")
        processes.append(Process(name.strip(), command.strip()))
    return processes


class Runner:
    def __init__(self, processes: list[Process], *, stop_timeout: float, out: TextIO | None = None):
        self.processes = processes
        self.stop_timeout = stop_timeout
        self.out = out or sys.stdout
        self.width = max(len(p.name) for p in processes)
        self.colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def say(self, name: str, text: str, index: int | None = None) -> None:
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        label = f"{stamp} {name.ljust(self.width)} |"
        if self.colour and index is not None:
            label = f"{COLOURS[index % len(COLOURS)]}{label}{RESET}"
        with self.lock:
            print(f"{label} {text}", file=self.out, flush=True)

    def _pump(self, process: Process, index: int) -> None:
        assert process.popen is not None and process.popen.stdout is not None
        for raw in iter(process.popen.stdout.readline, b""):
            text = raw.decode(errors="replace").rstrip()
            if text:
                self.say(process.name, text, index)

    def start(self) -> None:
        for index, process in enumerate(self.processes):
            process.popen = subprocess.Popen(  # noqa: S602 - the commands are the Procfile's
                f"exec {process.command}",
                shell=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            process.reader = threading.Thread(target=self._pump, args=(process, index), daemon=True)
            process.reader.start()
            self.say("system", f"{process.name} started (pid {process.popen.pid})")

    def _signal_group(self, popen: subprocess.Popen[bytes], sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(popen.pid, sig)  # its own session: the group id is its pid

    def stop(self) -> int:
        """Stop every process; return how many had to be killed."""
        killed = 0
        running = [p for p in self.processes if p.popen and p.popen.poll() is None]
        for process in running:
            assert process.popen is not None
            with contextlib.suppress(ProcessLookupError):
                process.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for process in running:
            assert process.popen is not None
            try:
                process.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(
                    "system", f"{process.name} did not stop in {self.stop_timeout:g} s: killed"
                )
                self._signal_group(process.popen, signal.SIGKILL)
                process.popen.wait()
                killed += 1
            else:
                self.say("system", f"{process.name} stopped")
            # Whatever it left in its group (runserver's autoreloaded child) goes with it.
            self._signal_group(process.popen, signal.SIGTERM)
        for process in self.processes:
            if process.reader is not None:
                process.reader.join(timeout=2)
        return killed

    def run(self) -> int:
        def on_signal(signum: int, frame: FrameType | None) -> None:
            self.stopping.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        self.start()
        failed: Process | None = None
        while not self.stopping.wait(0.2):
            failed = next(
                (p for p in self.processes if p.popen is not None and p.popen.poll() is not None),
                None,
            )
            if failed is not None:
                break
        # A second Ctrl-C while stopping changes nothing: the stop is already under way.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if failed is not None:
            assert failed.popen is not None
            self.say(
                "system",
                f"{failed.name} exited with code {failed.popen.returncode}: stopping the others.",
            )
        else:
            with self.lock:
                print("", file=self.out, flush=True)
            self.say("system", "Stopping CareTeam: web server, worker and beat …")
        killed = self.stop()
        if failed is not None:
            return 1
        self.say("system", "CareTeam stopped." if not killed else "CareTeam stopped (forced).")
        return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    procfile = Path(args[0] if args else "Procfile.dev")
    processes = parse_procfile(procfile.read_text())
    if not processes:
        print(f"{procfile} names no process.", file=sys.stderr)
        return 2
    timeout = float(os.environ.get("DEVRUN_STOP_TIMEOUT", "20"))
    return Runner(processes, stop_timeout=timeout).run()


if __name__ == "__main__":
    sys.exit(main())
