"""LLM paraphrase throughput: the packaged SmolLM2-135M-Instruct batched (16 prompts per
``generate``) against one prompt per call, and the openai back-end at concurrency 1 against 8 on
local servers: ``transformers serve`` with the same model, and a server of fixed latency (the
tests' scripted server, --latency seconds a reply), which stands for a remote API.

Workload: the first --n SST-2 training sentences, 2 paraphrases each (sampling at 0.8, top-p 0.95,
at most --tokens new tokens), no re-asks (max_retries=0, so every contender makes the same number
of replies) and no reply cache. Figures are paraphrases per second; peak memory is the process's
resident peak after the local runs (the model in float32) and the server's.

    python bench/llm_augment_throughput.py [--n 32] [--tokens 48] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "eda" / "sst2" / "train.tsv"


def sentences(path: Path, n: int) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines[:n]]


def paraphrases_per_second(aug, texts: list[str]) -> tuple[float, int]:
    from datasets import Dataset

    from textaug import augment_dataset

    ds = Dataset.from_dict({"text": texts, "label": [0] * len(texts)})
    started = time.perf_counter()
    out = augment_dataset(ds, aug, batch_size=len(texts), load_from_cache_file=False)
    seconds = time.perf_counter() - started
    made = sum(op != "original" for op in out["aug_op"])
    return made / seconds, made


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited before answering {url}")
            time.sleep(0.25)
    raise SystemExit(f"{url} did not answer in {seconds:.0f} s")


def _peak_rss_mb(pid: int) -> float:
    """A running process's resident peak (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--n", type=int, default=32)
    p.add_argument("--tokens", type=int, default=48)
    p.add_argument("--latency", type=float, default=0.2)
    args = p.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"{args.data} not found: ../shared/data/eda must be beside the checkout")
    from textaug.augment.llm import LLMParaphrase
    from textaug.resources import smollm2_path

    texts = sentences(args.data, args.n)
    common = {"n_aug": 2, "max_retries": 0, "max_new_tokens": args.tokens, "cache": "none"}
    folder = str(smollm2_path())
    threads = os.environ.get("OMP_NUM_THREADS", "all")
    print(f"LLM paraphrase throughput: {len(texts)} SST-2 sentences x 2, at most {args.tokens} new tokens, "
          f"torch threads {threads}")

    # warm-up: the model loaded once (process resource), so neither contender pays the load
    LLMParaphrase(device="cpu", **{**common, "n_aug": 1}).generate("warm up", 0)
    batched, made = paraphrases_per_second(LLMParaphrase(device="cpu", batch_size=16, **common), texts)
    single, _ = paraphrases_per_second(LLMParaphrase(device="cpu", batch_size=1, **common), texts)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  transformers, 16 prompts per generate: {batched:6.2f} paraphrases/s ({made} made)")
    print(f"  transformers, one prompt per generate: {single:6.2f} paraphrases/s")
    print(f"  batched / one prompt per call: {batched / single:.2f}x (goal: >= 4x); peak RSS {rss:,.0f} MB")

    servers = []
    try:
        port = _port()
        serve = subprocess.Popen([str(Path(sys.executable).with_name("transformers")), "serve", "--host", "127.0.0.1",
                                  "--port", str(port), folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        servers.append(serve)
        _wait(f"http://127.0.0.1:{port}/health", serve)
        port_file = Path(f"/tmp/textaug-bench-{os.getpid()}.port")
        port_file.unlink(missing_ok=True)
        fixed = subprocess.Popen([sys.executable, str(ROOT / "tests" / "chat_server.py"), str(port_file), "--slow",
                                  str(args.latency)])
        servers.append(fixed)
        while not port_file.exists():
            time.sleep(0.05)
        fixed_url = f"http://127.0.0.1:{port_file.read_text()}/v1"
        port_file.unlink()
        for label, url, model in (("transformers serve (SmolLM2)", f"http://127.0.0.1:{port}/v1", folder),
                                  (f"a server of {args.latency:g} s latency", fixed_url, "m")):
            rates = {}
            for concurrency in (1, 8):
                aug = LLMParaphrase(backend="openai", base_url=url, model=model, concurrency=concurrency, **common)
                aug.generate("warm up", 0)
                rates[concurrency], _ = paraphrases_per_second(aug, texts)
            print(f"  openai back-end, {label}: concurrency 1 {rates[1]:6.2f}/s, 8 {rates[8]:6.2f}/s, "
                  f"{rates[8] / rates[1]:.2f}x")
        print(f"  transformers serve peak RSS {_peak_rss_mb(serve.pid):,.0f} MB")
    finally:
        for proc in servers:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
