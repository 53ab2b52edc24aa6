"""Boilerplate removal: jusText over each document, its paragraphs given as <p> blocks.

The corpora are plain text, so each blank-line-separated paragraph becomes one <p>; the
HTML building is part of the timed work, as it is the price of using jusText on text.
"""

import html

from common import load_texts, parse_args, run_tools, timed_over_docs


def main():
    args = parse_args()
    texts = load_texts(args.input)

    def justext_run():
        import justext
        stoplist = justext.get_stoplist("English")

        def work(text):
            paragraphs = [p for p in text.split("\n\n") if p.strip()] or [text]
            page = "<html><body>" + "".join(
                "<p>" + html.escape(p) + "</p>" for p in paragraphs) + "</body></html>"
            if page.strip():
                justext.justext(page.encode("utf-8"), stoplist)

        return timed_over_docs(texts, work, args.budget_seconds)

    run_tools([("justext", justext_run)], args.tools)


if __name__ == "__main__":
    main()
