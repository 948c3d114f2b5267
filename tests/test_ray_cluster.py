"""`textaug augment --engine ray --ray-address` against a real Ray cluster: `ray start --head` as
a subprocess on loopback, stopped after; and an address where nothing answers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def head_node(tmp_path_factory):
    # Ray authenticates with a token by default: the head and this test's client share the token
    # file (~/.ray/auth_token, made by the head when missing), in token mode (see conftest.py)
    port = _free_port()
    ray_cli = Path(sys.executable).with_name("ray")
    log = tmp_path_factory.mktemp("ray-head") / "head.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(ray_cli), "start", "--head", "--port", str(port),
                                 "--num-cpus", "2", "--include-dashboard", "false", "--block", "--disable-usage-stats"],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"ray start exited: {log.read_text()[-2000:]}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        else:
            pytest.fail("the Ray head did not listen within 90 s")
        yield address
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the head and every worker it started
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_cli_joins_a_running_cluster(head_node, tmp_path, capsys):
    from textaug.cli import main

    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"text": f"the film number {i} is rather good", "label": i % 2}) + "\n"
                              for i in range(50)))
    code = main(["augment", str(source), "-o", str(tmp_path / "out"), "--engine", "ray", "--ray-address", head_node,
                 "--recipe", "eda", "--n-aug", "2", "--batch-size", "16"])
    printed = capsys.readouterr().out
    assert code == 0 and "rows in: 50  rows out: 150" in printed
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["rows_out"] == 150 and manifest["rows_by_operation"]


def test_an_address_that_does_not_answer_is_one_line(tmp_path, capsys):
    from textaug.cli import main

    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"text": "a film", "label": 1}) + "\n")
    code = main(["augment", str(source), "-o", str(tmp_path / "out"), "--engine", "ray",
                 "--ray-address", f"127.0.0.1:{_free_port()}"])
    err = capsys.readouterr().err
    assert code == 2 and "does not answer" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
