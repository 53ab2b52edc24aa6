"""Quality filters from datatrove: C4, Gopher quality, Gopher repetition, FineWeb quality.

Each filter's `filter(document)` is called directly on every document, so only the rule
work is timed, not datatrove's readers and writers.
"""

from common import load_texts, parse_args, run_tools, timed_over_docs


def make_filter(name):
    from datatrove.pipeline import filters
    return {
        "datatrove_c4": filters.C4QualityFilter,
        "datatrove_gopher_quality": filters.GopherQualityFilter,
        "datatrove_gopher_repetition": filters.GopherRepetitionFilter,
        "datatrove_fineweb_quality": filters.FineWebQualityFilter,
    }[name]()


def measure(name, args, texts):
    from datatrove.data import Document
    rule = make_filter(name)
    kept = [0]

    def work(text):
        result = rule.filter(Document(text=text, id="x"))
        if result is True or (isinstance(result, tuple) and result[0]):
            kept[0] += 1

    figures = timed_over_docs(texts, work, args.budget_seconds)
    figures["kept_share"] = kept[0] / max(figures["n_docs"], 1)
    return figures


def main():
    args = parse_args()
    texts = load_texts(args.input)
    names = ["datatrove_c4", "datatrove_gopher_quality", "datatrove_gopher_repetition",
             "datatrove_fineweb_quality"]
    run_tools([(name, (lambda n: lambda: measure(n, args, texts))(name)) for name in names],
              args.tools)


if __name__ == "__main__":
    main()
