"""MinHash signatures and LSH: datasketch, rensa and datatrove, with chaff's dedup parameters.

datasketch and rensa get the same shingles: lower-cased word n-grams (`--shingle-words`,
chaff's default 5) over the document's words (`\\w+`), `--bands` x `--rows` permutations, and
an LSH index with the same band layout. Signatures are computed first (timed on their own:
`signature_docs_per_s`), then inserted into the LSH index and queried (the whole stage is
both: `docs_per_s`, `mb_per_s`). `index_candidates` counts documents that share a bucket with
an earlier one; with `--pairs-out DIR`, every such pair goes to `DIR/<tool>.pairs` as JSON
lines `[a, b]` (0-based line numbers), the tool's duplicate verdicts (LSH candidates are not
verified: that is what these libraries do). `index_bytes_per_doc` is the growth of the
process's resident memory while signatures and index were built, per document.

datatrove's minhash pipeline runs its own four steps (signatures to files, buckets, clusters,
filter) in a temporary directory, with its own tokenisation (spaCy's English word tokenizer on
its simplified text) at the same n-gram size, bands and rows; its pairs are read from the
`.dups` files of the bucket step, its index size is the signature files' size per document.
A tool past `--budget-seconds` stops taking new documents and reports the part done.
"""

import os
import re
import struct
import tempfile
import time

from common import WARM_UP_TEXT, figures, load_texts, parse_args, run_tools

WORD = re.compile(r"\w+")


def extra(parser):
    parser.add_argument("--shingle-words", type=int, default=5)
    parser.add_argument("--bands", type=int, default=14)
    parser.add_argument("--rows", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pairs-out", default="", help="directory for each tool's pairs")


def shingles(text, n):
    words = WORD.findall(text.lower())
    if len(words) < n:
        return [" ".join(words)] if words else []
    return [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]


def rss_bytes():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def write_pairs(args, tool, pairs):
    if not args.pairs_out:
        return
    os.makedirs(args.pairs_out, exist_ok=True)
    with open(os.path.join(args.pairs_out, f"{tool}.pairs"), "w") as handle:
        for a, b in pairs:
            handle.write(f"[{a},{b}]\n")


def run_lsh(args, texts, tool, make_signature, make_lsh):
    """Signatures first, then LSH insert + query; the shared timing of datasketch and rensa."""
    make_signature(WARM_UP_TEXT)
    rss_before = rss_bytes()
    started = time.perf_counter()
    signatures = []
    n_bytes = 0
    for text in texts:
        signatures.append(make_signature(text))
        n_bytes += len(text.encode("utf-8"))
        if time.perf_counter() - started > args.budget_seconds:
            break
    signature_seconds = time.perf_counter() - started
    lsh, insert, query = make_lsh()
    pairs = []
    n_candidates = 0
    for index, signature in enumerate(signatures):
        found = query(lsh, signature)
        if found:
            n_candidates += 1
            pairs.extend((int(other), index) for other in found)
        insert(lsh, index, signature)
    seconds = time.perf_counter() - started
    n_docs = len(signatures)
    result = figures(n_docs, n_bytes, seconds, partial=n_docs < len(texts))
    result["signature_seconds"] = signature_seconds
    result["signature_docs_per_s"] = n_docs / max(signature_seconds, 1e-9)
    result["signature_mb_per_s"] = n_bytes / 1e6 / max(signature_seconds, 1e-9)
    result["index_candidates"] = n_candidates
    result["n_pairs"] = len(pairs)
    result["index_bytes_per_doc"] = (rss_bytes() - rss_before) / max(n_docs, 1)
    write_pairs(args, tool, pairs)
    return result


def run_datasketch(args, texts):
    from datasketch import MinHash, MinHashLSH
    num_perm = args.bands * args.rows

    def signature(text):
        m = MinHash(num_perm=num_perm, seed=args.seed)
        m.update_batch([s.encode("utf-8") for s in shingles(text, args.shingle_words)])
        return m

    def make_lsh():
        lsh = MinHashLSH(num_perm=num_perm, params=(args.bands, args.rows))
        return lsh, lambda l, i, s: l.insert(str(i), s), lambda l, s: l.query(s)

    return run_lsh(args, texts, "datasketch", signature, make_lsh)


def run_rensa(args, texts):
    from rensa import RMinHash, RMinHashLSH
    num_perm = args.bands * args.rows

    def signature(text):
        m = RMinHash(num_perm=num_perm, seed=args.seed)
        m.update(shingles(text, args.shingle_words))
        return m

    def make_lsh():
        lsh = RMinHashLSH(threshold=0.8, num_perm=num_perm, num_bands=args.bands)
        return lsh, lambda l, i, s: l.insert(i, s), lambda l, s: l.query(s)

    return run_lsh(args, texts, "rensa", signature, make_lsh)


def run_datatrove(args, texts):
    import logging

    from datatrove.data import Document
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.utils.hashing import HashConfig
    from loguru import logger

    logger.remove()  # datatrove logs every step to stderr
    logging.disable(logging.WARNING)
    # 32-bit hashes, as chaff keeps; 64 is datatrove's default (twice the bytes).
    config = MinhashConfig(
        hash_config=HashConfig(precision=32),
        n_grams=args.shingle_words,
        num_buckets=args.bands,
        hashes_per_bucket=args.rows,
        seed=args.seed,
    )
    with tempfile.TemporaryDirectory(prefix="chaff-bench-datatrove-") as tmp:
        sigs, buckets, clusters = (os.path.join(tmp, d) for d in ("sigs", "buckets", "clusters"))
        signature_step = MinhashDedupSignature(output_folder=sigs, config=config)
        signature_step.get_shingles(WARM_UP_TEXT)  # loads the tokenizer before timing
        done = {"n_docs": 0, "n_bytes": 0}
        started = time.perf_counter()

        def documents():
            for index, text in enumerate(texts):
                if time.perf_counter() - started > args.budget_seconds:
                    return
                done["n_docs"] += 1
                done["n_bytes"] += len(text.encode("utf-8"))
                yield Document(text=text, id=str(index))

        signature_step.run(documents(), rank=0, world_size=1)
        signature_seconds = time.perf_counter() - started
        n_docs = done["n_docs"]
        sig_bytes = sum(
            os.path.getsize(os.path.join(root, name))
            for root, _, names in os.walk(sigs) for name in names
        )
        for bucket in range(args.bands):
            MinhashDedupBuckets(input_folder=sigs, output_folder=buckets, config=config).run(
                rank=bucket, world_size=args.bands)
        MinhashDedupCluster(input_folder=buckets, output_folder=clusters, config=config).run()
        kept = sum(1 for _ in MinhashDedupFilter(input_folder=clusters).run(
            (Document(text=texts[i], id=str(i)) for i in range(n_docs)), rank=0, world_size=1))
        seconds = time.perf_counter() - started
        pairs = []
        for name in sorted(os.listdir(buckets)):
            if not name.endswith(".dups"):
                continue
            with open(os.path.join(buckets, name), "rb") as handle:
                data = handle.read()
            for f1, d1, f2, d2 in struct.iter_unpack("<4I", data):
                pairs.append((d1, d2))
    result = figures(n_docs, done["n_bytes"], seconds, partial=n_docs < len(texts))
    result["signature_seconds"] = signature_seconds
    result["signature_docs_per_s"] = n_docs / max(signature_seconds, 1e-9)
    result["signature_mb_per_s"] = done["n_bytes"] / 1e6 / max(signature_seconds, 1e-9)
    result["n_pairs"] = len(pairs)
    result["index_candidates"] = len({b for _, b in pairs})
    result["n_kept"] = kept
    result["index_bytes_per_doc"] = sig_bytes / max(n_docs, 1)
    write_pairs(args, "datatrove_minhash", pairs)
    return result


def main():
    args = parse_args(extra)
    texts = load_texts(args.input)
    run_tools([
        ("datasketch", lambda: run_datasketch(args, texts)),
        ("rensa", lambda: run_rensa(args, texts)),
        ("datatrove_minhash", lambda: run_datatrove(args, texts)),
    ], args.tools)


if __name__ == "__main__":
    main()
