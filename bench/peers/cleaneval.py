"""The peers of `cargo xtask eval cleaneval`: datatrove's C4 line filter and jusText, fed the
same text chaff cleans (ingest's output: a page's visible text, one block a line).

Reads ingested records (JSON lines) and writes, per tool, the same records with `text`
replaced by what the tool kept, to `--out-dir/<tool>.jsonl`; prints one JSON object with each
tool's timing. Scoring is done by the caller, identically for every tool.

- `datatrove_c4_lines`: datatrove's `C4QualityFilter` with its document-level drops switched
  off (lorem ipsum, curly brackets, minimum sentences), so only its line rules act: lines
  without terminal punctuation, with fewer than 3 words, with "javascript" or a policy
  phrase, and citation markers removed.
- `datatrove_c4`: the same filter with its defaults; a dropped page keeps nothing.
- `justext`: each line given to jusText as one `<p>` block, English stop list, default
  parameters; the paragraphs it does not class as boilerplate are kept.
"""

import html
import json
import os
import time

from common import parse_args


def load_records(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write(out_dir, name, records, texts):
    with open(os.path.join(out_dir, name + ".jsonl"), "w", encoding="utf-8") as handle:
        for record, text in zip(records, texts):
            handle.write(json.dumps({"id": record["id"], "source": record["source"],
                                     "text": text}) + "\n")


def run_c4(records, line_only):
    from datatrove.data import Document
    from datatrove.pipeline.filters import C4QualityFilter
    if line_only:
        rule = C4QualityFilter(filter_lorem_ipsum=False, filter_curly_bracket=False,
                               min_num_sentences=-1)
    else:
        rule = C4QualityFilter()
    rule.filter(Document(text="Warm up. This is a sentence.\nAnother one here.", id="w"))
    texts = []
    started = time.perf_counter()
    for record in records:
        document = Document(text=record["text"], id=record["id"])
        result = rule.filter(document)
        kept = result is True or (isinstance(result, tuple) and result[0])
        texts.append(document.text if kept else "")
    return texts, time.perf_counter() - started


def run_justext(records):
    import justext
    stoplist = justext.get_stoplist("English")
    texts = []
    started = time.perf_counter()
    for record in records:
        blocks = [line for line in record["text"].split("\n") if line.strip()]
        if not blocks:
            texts.append("")
            continue
        page = "<html><body>" + "".join(
            "<p>" + html.escape(block) + "</p>" for block in blocks) + "</body></html>"
        paragraphs = justext.justext(page.encode("utf-8"), stoplist)
        texts.append("\n".join(p.text for p in paragraphs if not p.is_boilerplate))
    return texts, time.perf_counter() - started


def main():
    args = parse_args(lambda parser: parser.add_argument("--out-dir", required=True))
    records = load_records(args.input)
    n_bytes = sum(len(r["text"].encode("utf-8")) for r in records)
    results = {}
    tools = [
        ("datatrove_c4_lines", lambda: run_c4(records, line_only=True)),
        ("datatrove_c4", lambda: run_c4(records, line_only=False)),
        ("justext", lambda: run_justext(records)),
    ]
    wanted = {name for name in args.tools.split(",") if name}
    for name, run in tools:
        if wanted and name not in wanted:
            continue
        try:
            texts, seconds = run()
        except Exception as error:  # a peer's failure is a result, not a crash of the run
            results[name] = {"error": f"{type(error).__name__}: {error}"}
            continue
        write(args.out_dir, name, records, texts)
        results[name] = {"seconds": seconds, "mb_per_s": n_bytes / 1e6 / max(seconds, 1e-9),
                         "n_docs": len(records)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
