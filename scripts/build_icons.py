"""Build static/icons.svg, the navigation's icon sprite, from the bootstrap-icons npm package (MIT).

Only the icons the templates use go in (the package's own sprite is 1.1 MB): each icon's SVG file becomes a
<symbol id="NAME">, drawn in templates with `icon("NAME")` (templates/_macros.html). `make icons` fetches
the pinned package with npm and runs this; add a name to ICONS and run it again to use another icon.

    python scripts/build_icons.py PACKAGE_DIR static/icons.svg
"""
import re
import sys
from pathlib import Path

ICONS = [
    "list", "x-lg", "megaphone", "people", "graph-up", "folder2-open", "plus-circle", "file-earmark-text",
    "briefcase", "wallet2", "receipt", "bank", "chat-dots", "bell", "patch-check", "person-lines-fill",
    "journal-text", "bank2", "cash-stack", "shield-check", "exclamation-triangle", "arrow-counterclockwise",
    "flag", "chat-left-text", "bar-chart", "clock-history", "person-badge", "building", "box-arrow-right",
    "box-arrow-in-right", "person-plus", "translate", "house",
]


def symbol(name: str, source: str) -> str:
    view_box = re.search(r'viewBox="([^"]+)"', source).group(1)
    inner = re.search(r"<svg[^>]*>(.*)</svg>", source, re.S).group(1).strip()
    return f'<symbol id="{name}" viewBox="{view_box}">{" ".join(inner.split())}</symbol>'


def main(package: str, out: str) -> None:
    icons = Path(package, "icons")
    version = re.search(r'"version":\s*"([^"]+)"', Path(package, "package.json").read_text()).group(1)
    symbols = "\n".join(symbol(name, (icons / f"{name}.svg").read_text()) for name in ICONS)
    Path(out).write_text(f'<svg xmlns="http://www.w3.org/2000/svg">\n<!-- bootstrap-icons {version}, MIT '
                         f'(static/icons-LICENSE.txt); built by scripts/build_icons.py -->\n{symbols}\n</svg>\n')


if __name__ == "__main__":
    main(*sys.argv[1:3])
