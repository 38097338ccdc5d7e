"""An SMS gateway and a mail server on loopback that fail the way real ones do, for the notice tests.

The gateway sends each reference once, as a gateway with idempotent references does: a repeat is answered as
the first was, and counted. It can refuse every other request (503), or a share of them at random, and take
every n-th message but answer too late, so that the client times out although the message went out. The mail server can refuse its first
connections (421) and records every message with its Message-ID."""

import json
import random
import re
import socketserver
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _OnLoopback:
    """A server in a thread of its own while the `with` block runs (self.server, set by the subclass)."""

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class SmsGateway(_OnLoopback):
    def __init__(
        self, *, refuse_every_other=False, refuse_share=0.0, slow_every: int = 0, slow_seconds: float = 0.0, seed=7
    ):
        self.refuse_every_other = refuse_every_other
        self.refuse_share, self.random = refuse_share, random.Random(seed)  # refused at random, repeatably
        self.slow_every, self.slow_seconds = slow_every, slow_seconds
        self.always_refuse = False
        self.lock = threading.Lock()
        self.requests = 0
        self.sent: dict[str, dict] = {}  # reference (or a number, without one) → the message sent
        self.repeats = Counter()  # reference → requests for it after it was sent
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                message = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, slow = gateway._take(message)
                if slow:
                    time.sleep(gateway.slow_seconds)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(json.dumps({"id": f"gw-{message.get('reference', '')}"}).encode())
                except OSError:  # the client gave up waiting
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def _take(self, message: dict) -> tuple[int, bool]:
        with self.lock:
            self.requests += 1
            number = self.requests
            refused = self.refuse_every_other and number % 2 == 0 or self.random.random() < self.refuse_share
            if self.always_refuse or refused:
                return 503, False
            reference = message.get("reference") or f"no-reference-{number}"
            if reference in self.sent:
                self.repeats[reference] += 1
            else:
                self.sent[reference] = message
            return 200, bool(self.slow_every and number % self.slow_every == 0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/sms"


class MailServer(_OnLoopback):
    """Just enough SMTP for Django's SMTP backend (no extensions, no TLS, no login)."""

    def __init__(self, *, refuse_first: int = 0):
        self.refuse_first = refuse_first
        self.lock = threading.Lock()
        self.connections = 0
        self.messages: list[dict] = []  # {"to": [...], "message_id": ..., "data": ...}
        mail = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                with mail.lock:
                    mail.connections += 1
                    refused = mail.connections <= mail.refuse_first
                if refused:
                    self.wfile.write(b"421 Service not available, try again later\r\n")
                    return
                self.wfile.write(b"220 fake mail server\r\n")
                recipients = []
                while line := self.rfile.readline():
                    command = line.decode("ascii", "replace").strip().upper()
                    if command.startswith(("EHLO", "HELO")):
                        self.wfile.write(b"250 fake\r\n")
                    elif command.startswith("RCPT"):
                        recipients.append(re.search(r"<([^>]*)>", line.decode()).group(1))
                        self.wfile.write(b"250 ok\r\n")
                    elif command == "DATA":
                        self.wfile.write(b"354 go on\r\n")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk
                        found = re.search(rb"^Message-ID: *(<[^>]+>)", data, re.M | re.I)
                        with mail.lock:
                            mail.messages.append(
                                {"to": recipients, "message_id": found and found.group(1).decode(), "data": data}
                            )
                        recipients = []
                        self.wfile.write(b"250 queued\r\n")
                    elif command == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:  # MAIL, RSET, NOOP
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True

    @property
    def port(self) -> int:
        return self.server.server_address[1]
