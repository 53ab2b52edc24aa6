"""Shared helpers for the peer scripts of `cargo xtask bench`.

Every peer script reads the same JSON-lines file (one `{"id": ..., "text": ...}` a line),
times only its own work (never the file reading), and prints one JSON object per tool.
A tool that runs past its time budget stops early and reports the part it did, with
`"partial": true`, so a slow peer cannot stall the run but is never silently dropped.
"""

import argparse
import json
import sys
import time


WARM_UP_TEXT = "Warm up before timing. This text is not part of the corpus.\n\nA second paragraph."


def parse_args(extra=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True, help="JSON-lines file, one document a line")
    parser.add_argument("--golden", help="golden_rules_en.jsonl, for sentence segmenters")
    parser.add_argument("--budget-seconds", type=float, default=120.0,
                        help="stop a tool after this many seconds of work and report the part done")
    parser.add_argument("--tools", default="", help="comma-separated subset of this script's tools")
    if extra:
        extra(parser)
    return parser.parse_args()


def load_texts(path):
    texts = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


def timed_over_docs(texts, work, budget_seconds):
    """Runs `work(text)` on each document until the budget is spent; returns figures.

    One untimed call on a short text first, so lazy imports and model set-up (datatrove
    loads its spaCy tokenizer on first use) are not counted as work on the corpus.
    """
    work(WARM_UP_TEXT)
    n_docs = 0
    n_bytes = 0
    started = time.perf_counter()
    for text in texts:
        work(text)
        n_docs += 1
        n_bytes += len(text.encode("utf-8"))
        if time.perf_counter() - started > budget_seconds:
            break
    seconds = time.perf_counter() - started
    return figures(n_docs, n_bytes, seconds, partial=n_docs < len(texts))


def figures(n_docs, n_bytes, seconds, partial=False):
    seconds = max(seconds, 1e-9)
    return {
        "n_docs": n_docs,
        "n_bytes": n_bytes,
        "seconds": seconds,
        "mb_per_s": n_bytes / 1e6 / seconds,
        "docs_per_s": n_docs / seconds,
        "partial": partial,
    }


def run_tools(tools, selected):
    """Runs each `(name, thunk)`; a tool that raises is reported with its error."""
    wanted = {name for name in selected.split(",") if name}
    results = {}
    for name, thunk in tools:
        if wanted and name not in wanted:
            continue
        try:
            results[name] = thunk()
        except Exception as error:  # a peer's failure is a result, never a crash of the run
            results[name] = {"error": f"{type(error).__name__}: {error}"}
    json.dump(results, sys.stdout)
    sys.stdout.write("\n")
