"""Unicode repair: ftfy.fix_text on every document (chaff's peer for clean's text repair)."""

from common import load_texts, parse_args, run_tools, timed_over_docs


def main():
    args = parse_args()
    texts = load_texts(args.input)

    def ftfy_run():
        import ftfy
        return timed_over_docs(texts, ftfy.fix_text, args.budget_seconds)

    run_tools([("ftfy", ftfy_run)], args.tools)


if __name__ == "__main__":
    main()
