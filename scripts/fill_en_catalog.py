"""The English catalog is the source text: copy each msgid into an empty msgstr (run by
`make extract-messages`), so the completeness test can require every string in both catalogs."""
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PATH = Path(__file__).resolve().parent.parent / "translations/en/LC_MESSAGES/messages.po"


def main() -> int:
    with PATH.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string):
                message.string = message.id
        elif not message.string:
            message.string = message.id
        message.flags.discard("fuzzy")
    with PATH.open("wb") as fh:
        write_po(fh, catalog, width=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
