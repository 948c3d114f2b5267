"""A small real OpenAI-compatible chat server for the tests, run as its own process on loopback.

``python chat_server.py PORT_FILE [--fail-first N] [--status S] [--retry-after R] [--slow SECONDS]
[--log FILE]`` writes the port it listens on to PORT_FILE, then answers ``POST
/v1/chat/completions``: the first N requests with HTTP S (default 429, with ``Retry-After: R``,
default 0), every later one with a reply made from the request ("variant <seed> of: <the text
after the last colon>"), after sleeping SECONDS. Every request's body, Authorization header and
arrival time are appended to the log as JSON lines, so a test can count requests and check what
the client sent and when.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port_file")
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--status", type=int, default=429)
    parser.add_argument("--retry-after", default="0")
    parser.add_argument("--slow", type=float, default=0.0)
    parser.add_argument("--log", default=None)
    args = parser.parse_args()
    lock = threading.Lock()
    seen = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):  # quiet
            pass

        def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            with lock:
                seen["n"] += 1
                number = seen["n"]
                if args.log:
                    with open(args.log, "a", encoding="utf-8") as log:
                        log.write(json.dumps({"n": number, "t": time.time(), "body": body,
                                              "authorization": self.headers.get("Authorization")}) + "\n")
            if number <= args.fail_first:
                self._send(args.status, {"error": {"message": f"scripted failure {number}", "type": "test"}},
                           {"Retry-After": args.retry_after})
                return
            if args.slow:
                time.sleep(args.slow)
            text = body["messages"][-1]["content"].rsplit(":", 1)[-1].strip()
            content = f"variant {body.get('seed')} of: {text}"
            self._send(200, {"id": f"r{number}", "object": "chat.completion", "created": 0, "model": body.get("model"),
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": content}}],
                             "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = Path(args.port_file + ".tmp")
    tmp.write_text(str(server.server_address[1]))
    tmp.rename(args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
