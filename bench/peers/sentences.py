"""Sentence segmenters: pySBD, sentencex, syntok.

Figures: MB/s and docs/s on the corpus, and the Golden Rules score (the share of
cases in golden_rules_en.jsonl whose sentences all come out exactly as expected,
compared after stripping white space).
"""

from common import load_texts, parse_args, run_tools, timed_over_docs
import json


def golden_score(path, split):
    n_cases = 0
    n_right = 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            case = json.loads(line)
            n_cases += 1
            try:
                got = [s.strip() for s in split(case["text"]) if s.strip()]
            except Exception:
                got = None
            if got == [s.strip() for s in case["expected"]]:
                n_right += 1
    return {"golden_rules": n_right / max(n_cases, 1), "golden_right": n_right, "golden_cases": n_cases}


def pysbd_splitter():
    import pysbd
    segmenter = pysbd.Segmenter(language="en", clean=False)
    return segmenter.segment


def sentencex_splitter():
    import sentencex
    return lambda text: list(sentencex.segment("en", text))


def syntok_splitter():
    from syntok import segmenter

    def split(text):
        sentences = []
        for paragraph in segmenter.analyze(text):
            for sentence in paragraph:
                sentences.append("".join(token.spacing + token.value for token in sentence).strip())
        return sentences
    return split


def measure(make_splitter, args, texts):
    split = make_splitter()
    result = timed_over_docs(texts, split, args.budget_seconds)
    if args.golden:
        result.update(golden_score(args.golden, split))
    return result


def main():
    args = parse_args()
    texts = load_texts(args.input)
    run_tools([
        ("pysbd", lambda: measure(pysbd_splitter, args, texts)),
        ("sentencex", lambda: measure(sentencex_splitter, args, texts)),
        ("syntok", lambda: measure(syntok_splitter, args, texts)),
    ], args.tools)


if __name__ == "__main__":
    main()
