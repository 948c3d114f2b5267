"""A small stand-in for the Hugging Face Hub, for tests: the endpoints huggingface_hub calls to
create a repo, upload a folder (regular, non-LFS uploads) and download files.

It keeps repos in memory, checks the bearer token on writes and on private reads, and records
every request so tests can see what the client did. It is not the Hub: it accepts what the real
client sends and answers in the shapes the client parses, nothing more.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse


_PIPELINE_TAGS = {"text-classification", "token-classification", "fill-mask", "feature-extraction",
                  "sentence-similarity", "zero-shot-classification", "text-generation"}


def validate_card(content: str) -> list[str]:
    """What the stand-in checks of a README's metadata (a subset of the Hub's rules): the YAML
    parses to a mapping, list fields are lists of strings, the pipeline tag is a known one, and
    the model-index parses into evaluation results with numeric values."""
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard_data import model_index_to_eval_results

    try:
        card = ModelCard(content, ignore_metadata_errors=False)
    except Exception as err:  # noqa: BLE001 - any parse failure is a validation error
        return [f"metadata does not parse: {err}"]
    data = card.data.to_dict()
    errors = []
    for key in ("tags", "datasets"):
        value = data.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            errors.append(f"{key} must be a list of strings")
    if data.get("pipeline_tag") is not None and data["pipeline_tag"] not in _PIPELINE_TAGS:
        errors.append(f"unknown pipeline_tag {data['pipeline_tag']!r}")
    for key in ("license", "library_name", "base_model"):
        if data.get(key) is not None and not isinstance(data[key], str):
            errors.append(f"{key} must be a string")
    if "model-index" in data:
        try:
            _, results = model_index_to_eval_results(data["model-index"])
        except Exception as err:  # noqa: BLE001
            errors.append(f"model-index does not parse: {err!r}")
        else:
            errors += [f"metric {r.metric_type} has a non-numeric value" for r in results
                       if not isinstance(r.metric_value, (int, float))]
    return errors


@dataclass
class Repo:
    private: bool
    files: dict[str, bytes] = field(default_factory=dict)
    commits: list[str] = field(default_factory=lambda: [hashlib.sha1(b"initial").hexdigest()])

    @property
    def head(self) -> str:
        return self.commits[-1]


class HubStandIn:
    def __init__(self, token: str) -> None:
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.requests: list[tuple[str, str, bool]] = []  # (method, path, authorized)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "HubStandIn":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            # -- helpers ---------------------------------------------------------------------
            def _authorized(self) -> bool:
                return self.headers.get("Authorization", "") == f"Bearer {hub.token}"

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _send(self, status: int, payload=None, headers: dict | None = None, body: bytes | None = None,
                      head: bool = False) -> None:
                if body is None:
                    body = json.dumps(payload if payload is not None else {}).encode()
                    headers = {"Content-Type": "application/json", **(headers or {})}
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _error(self, status: int, code: str, message: str, head: bool = False) -> None:
                self._send(status, {"error": message}, {"X-Error-Code": code, "X-Error-Message": message}, head=head)

            def _repo(self, repo_id: str, head: bool = False) -> Repo | None:
                repo = hub.repos.get(repo_id)
                if repo is None or (repo.private and not self._authorized()):
                    self._error(404, "RepoNotFound", f"Repository {repo_id} not found", head=head)
                    return None
                return repo

            # -- routes ------------------------------------------------------------------------
            def do_POST(self) -> None:
                path = unquote(urlparse(self.path).path)
                hub.requests.append(("POST", path, self._authorized()))
                body = self._body()
                if not self._authorized():
                    return self._error(401, "Unauthorized", "Invalid credentials in Authorization header")
                if path == "/api/validate-yaml":
                    errors = validate_card(json.loads(body)["content"])
                    return self._send(400 if errors else 200, {"errors": [{"message": e} for e in errors], "warnings": []})
                if path == "/api/repos/create":
                    data = json.loads(body)
                    repo_id = f"{data['organization']}/{data['name']}" if data.get("organization") else data["name"]
                    if repo_id in hub.repos:
                        return self._error(409, "RepoExists", "You already created this model repo")
                    private = bool(data.get("private")) or data.get("visibility") == "private"
                    hub.repos[repo_id] = Repo(private=private)
                    return self._send(200, {"url": f"{hub.url}/{repo_id}", "name": repo_id, "id": repo_id})
                m = re.fullmatch(r"/api/models/(.+)/preupload/([^/]+)", path)
                if m:
                    if self._repo(m.group(1)) is None:
                        return
                    files = json.loads(body)["files"]
                    return self._send(200, {"files": [
                        {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": None} for f in files]})
                m = re.fullmatch(r"/api/models/(.+)/commit/([^/]+)", path)
                if m:
                    repo = self._repo(m.group(1))
                    if repo is None:
                        return
                    for line in body.decode().splitlines():
                        item = json.loads(line)
                        if item["key"] == "file":
                            value = item["value"]
                            repo.files[value["path"]] = base64.b64decode(value["content"])
                        elif item["key"] == "deletedFile":
                            repo.files.pop(item["value"]["path"], None)
                        elif item["key"] in ("lfsFile", "deletedFolder"):
                            return self._error(400, "BadRequest", f"the stand-in does not take {item['key']}")
                    repo.commits.append(hashlib.sha1(json.dumps(sorted(repo.files)).encode() + body).hexdigest())
                    return self._send(200, {"success": True, "commitOid": repo.head,
                                            "commitUrl": f"{hub.url}/{m.group(1)}/commit/{repo.head}"})
                return self._error(404, "NotFound", f"no route POST {path}")

            def _get(self, head: bool) -> None:
                path = unquote(urlparse(self.path).path)
                hub.requests.append(("HEAD" if head else "GET", path, self._authorized()))
                m = re.fullmatch(r"/api/models/(.+)/tree/([^/]+)(?:/(.*))?", path)
                if m:
                    repo = self._repo(m.group(1), head)
                    if repo is None:
                        return
                    return self._send(200, [{"type": "file", "path": f, "size": len(b),
                                             "oid": hashlib.sha1(b).hexdigest()} for f, b in sorted(repo.files.items())], head=head)
                m = re.fullmatch(r"/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?", path)
                if m:
                    repo = self._repo(m.group(1), head)
                    if repo is None:
                        return
                    return self._send(200, {"id": m.group(1), "modelId": m.group(1), "sha": repo.head,
                                            "private": repo.private,
                                            "siblings": [{"rfilename": f} for f in sorted(repo.files)]}, head=head)
                m = re.fullmatch(r"/(.+)/resolve/([^/]+)/(.+)", path)
                if m:
                    repo = self._repo(m.group(1), head)
                    if repo is None:
                        return
                    name = m.group(3)
                    if name not in repo.files:
                        return self._error(404, "EntryNotFound", f"{name} does not exist on {m.group(2)}", head=head)
                    content = repo.files[name]
                    etag = f'"{hashlib.sha1(content).hexdigest()}"'
                    return self._send(200, body=content, head=head, headers={
                        "Content-Type": "application/octet-stream", "ETag": etag, "X-Repo-Commit": repo.head})
                return self._error(404, "NotFound", f"no route GET {path}", head=head)

            def do_GET(self) -> None:
                self._get(head=False)

            def do_HEAD(self) -> None:
                self._get(head=True)

        return Handler
