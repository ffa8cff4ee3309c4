#!/usr/bin/python3
"""console-pty-stall.py: a terminal that stops reading does not make baton spin.

The console's loop adopts stdin into libwebsockets, which makes it
non-blocking; stdin and stdout are one open file on a terminal, so stdout
became non-blocking too, and when the terminal stopped reading (a stalled
SSH link, a paused tmux pane) ncurses retried its write() in a tight loop
at 100% CPU. baton runs here under a pty of its own (the hub unreachable,
so the screen is painted from an empty store), the pty is not read while
baton is made to redraw (resizes), and baton's CPU time over that while is
checked, with the flags of its stdout. Then the pty is read again and the
screen must come back. Prints TAP; every process is killed on the way out.
"""
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import socket
import struct
import sys
import tempfile
import termios
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", "build")
BATON = os.environ.get("BATON_BIN", os.path.join(ROOT, BUILD, "baton"))

n_tests = 0
failed = 0


def ok(cond, what, detail=""):
    global n_tests, failed
    n_tests += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n_tests, what))
    if not cond:
        failed += 1
        for line in str(detail).splitlines()[:20]:
            print("#   " + line)
    sys.stdout.flush()
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def visible(raw):
    return re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]|\x1b.", b"", raw)


def cpu_ms(pid):
    """User+system CPU of the whole process (all threads), in ms."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def read_for(fd, seconds, until=None):
    out = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                d = os.read(fd, 65536)
            except OSError:
                break
            if not d:
                break
            out += d
            if until and until in visible(out):
                break
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="baton-stall.")
    pid = None
    try:
        tok = os.path.join(tmp, "token")
        with open(tok, "w") as f:
            f.write("stall-test-token\n")
        os.chmod(tok, 0o600)
        for d in ("cfg", "data"):
            os.mkdir(os.path.join(tmp, d), 0o700)
        url = "ws://127.0.0.1:%d/v1/stream" % free_port()
        pid, fd = pty.fork()
        if pid == 0:
            env = {k: v for k, v in os.environ.items()
                   if k not in ("TMUX", "DBUS_SESSION_BUS_ADDRESS", "SSH_CONNECTION")}
            env.update(TERM="xterm-256color", LANG="C.UTF-8", XDG_CONFIG_HOME=tmp + "/cfg",
                       XDG_DATA_HOME=tmp + "/data", XDG_RUNTIME_DIR=tmp + "/data")
            os.execve(BATON, [BATON, "--url", url, "--token-file", tok], env)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        first = read_for(fd, 15, until=b"queue:")
        if not ok(b"queue:" in visible(first), "baton paints its screen under the pty",
                  visible(first)[-600:].decode(errors="replace")):
            return
        read_for(fd, 0.5)

        with open("/proc/%d/fdinfo/1" % pid) as f:
            flags = int(re.search(r"flags:\s*([0-7]+)", f.read()).group(1), 8)
        ok(not flags & os.O_NONBLOCK, "stdout stays blocking after the loop adopts stdin",
           "flags %o" % flags)

        # Stop reading and fill the pty with repaints (help opened and
        # closed: a screen of text each time; resizes) until it is full.
        c0 = cpu_ms(pid)
        for i in range(40):
            os.write(fd, b"?" if i % 2 == 0 else b"\x1b")
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40 + i % 2, 120 - i % 3, 0, 0))
            os.kill(pid, signal.SIGWINCH)
            time.sleep(0.05)
        time.sleep(1.0)
        used = cpu_ms(pid) - c0
        ok(used < 600, "a terminal that is not read costs baton no CPU (%.0f ms in 3 s)" % used,
           "baton spun on its terminal: %.0f ms of CPU in 3 s" % used)

        # Read again: baton catches up and the screen is whole.
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        os.kill(pid, signal.SIGWINCH)
        read_for(fd, 1.0)
        os.write(fd, b"\x0c")    # ctrl-l: a full repaint
        again = read_for(fd, 5, until=b"queue:")
        ok(b"queue:" in visible(again), "the screen comes back once the terminal reads again",
           visible(again)[-600:].decode(errors="replace"))
        os.kill(pid, signal.SIGTERM)
        read_for(fd, 3)
        _, status = os.waitpid(pid, 0)
        pid = None
        ok(os.WIFEXITED(status), "baton leaves on SIGTERM", "status %d" % status)
    finally:
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        print("1..%d" % n_tests)
    sys.exit(1 if failed else 0)
