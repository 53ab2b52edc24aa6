"""MinHash signatures and LSH: datasketch and rensa, with chaff's dedup parameters.

Both get the same shingles: lower-cased word n-grams (`--shingle-words`, chaff's default 5)
over the document's words, `--bands` x `--rows` permutations, and an LSH index with the same
band layout. Shingling, signatures and index insertion are timed together, as in chaff's
dedup figure; `index_candidates` counts documents that share a bucket with an earlier one.
"""

import re

from common import WARM_UP_TEXT, figures, load_texts, parse_args, run_tools
import time

WORD = re.compile(r"\w+")


def extra(parser):
    parser.add_argument("--shingle-words", type=int, default=5)
    parser.add_argument("--bands", type=int, default=14)
    parser.add_argument("--rows", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)


def shingles(text, n):
    words = WORD.findall(text.lower())
    if len(words) < n:
        return [" ".join(words)] if words else []
    return [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]


def run_datasketch(args, texts):
    from datasketch import MinHash, MinHashLSH
    num_perm = args.bands * args.rows
    lsh = MinHashLSH(num_perm=num_perm, params=(args.bands, args.rows))
    MinHash(num_perm=num_perm, seed=args.seed).update_batch([WARM_UP_TEXT.encode("utf-8")])
    n_docs = n_bytes = n_candidates = 0
    started = time.perf_counter()
    for index, text in enumerate(texts):
        signature = MinHash(num_perm=num_perm, seed=args.seed)
        signature.update_batch([s.encode("utf-8") for s in shingles(text, args.shingle_words)])
        if lsh.query(signature):
            n_candidates += 1
        lsh.insert(str(index), signature)
        n_docs += 1
        n_bytes += len(text.encode("utf-8"))
        if time.perf_counter() - started > args.budget_seconds:
            break
    result = figures(n_docs, n_bytes, time.perf_counter() - started, partial=n_docs < len(texts))
    result["index_candidates"] = n_candidates
    return result


def run_rensa(args, texts):
    from rensa import RMinHash, RMinHashLSH
    num_perm = args.bands * args.rows
    lsh = RMinHashLSH(threshold=0.8, num_perm=num_perm, num_bands=args.bands)
    RMinHash(num_perm=num_perm, seed=args.seed).update([WARM_UP_TEXT])
    n_docs = n_bytes = n_candidates = 0
    started = time.perf_counter()
    for index, text in enumerate(texts):
        signature = RMinHash(num_perm=num_perm, seed=args.seed)
        signature.update(shingles(text, args.shingle_words))
        if lsh.query(signature):
            n_candidates += 1
        lsh.insert(index, signature)
        n_docs += 1
        n_bytes += len(text.encode("utf-8"))
        if time.perf_counter() - started > args.budget_seconds:
            break
    result = figures(n_docs, n_bytes, time.perf_counter() - started, partial=n_docs < len(texts))
    result["index_candidates"] = n_candidates
    return result


def main():
    args = parse_args(extra)
    texts = load_texts(args.input)
    run_tools([
        ("datasketch", lambda: run_datasketch(args, texts)),
        ("rensa", lambda: run_rensa(args, texts)),
    ], args.tools)


if __name__ == "__main__":
    main()
