"""PDF documents (contract documents, monthly statements) written with fpdf2 in a CJK font.

fpdf2 reads OpenType collections itself (fontTools underneath) and embeds only the glyphs used, so a
one-page contract is tens of kilobytes although the font is 20 MB. Loading the font takes about a
second, which is why documents made on an event are made in a job (services/contract_documents.py).
"""
from pathlib import Path

from flask import current_app
from fpdf import FPDF
from fpdf.fonts import FontFace

FONT = "cjk"
MARGIN = 18  # mm


class Document:
    """A simple flowing A4 document: a title, headings, label/value lines, paragraphs and tables."""

    def __init__(self, title: str, subject: str = "", landscape: bool = False):
        config = current_app.config
        regular, bold = Path(config["PDF_FONT"]), Path(config["PDF_FONT_BOLD"])
        if not regular.exists():  # a misconfigured machine: say which file is missing, not a font error
            raise RuntimeError(f"PDF font not found: {regular} (install fonts-noto-cjk or set PDF_FONT)")
        pdf = FPDF(orientation="L" if landscape else "P", format="A4")
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=MARGIN)
        pdf.add_font(FONT, "", str(regular), collection_font_number=config["PDF_FONT_INDEX"])
        pdf.add_font(FONT, "B", str(bold if bold.exists() else regular),
                     collection_font_number=config["PDF_FONT_INDEX"])
        pdf.set_title(title)
        pdf.set_subject(subject)
        pdf.set_creator("Witkey")
        pdf.add_page()
        pdf.set_font(FONT, "B", 16)
        pdf.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        self.pdf = pdf

    def heading(self, text: str) -> None:
        self.pdf.ln(3)
        self.pdf.set_font(FONT, "B", 12)
        self.pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")

    def field(self, label: str, value: str) -> None:
        """"Label: value" on one line, the value wrapping under itself."""
        self.pdf.set_font(FONT, "B", 10)
        width = min(self.pdf.get_string_width(label + "：") + 2, 60)
        self.pdf.cell(width, 6, label + "：")
        self.pdf.set_font(FONT, "", 10)
        self.pdf.multi_cell(0, 6, value or "—", new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str) -> None:
        self.pdf.set_font(FONT, "", 10)
        self.pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")

    def table(self, headers: list[str], rows: list[list[str]], widths: tuple[int, ...] | None = None,
              right: tuple[int, ...] = ()) -> None:
        """A table with a bold header row; columns listed in `right` (amounts) are right-aligned."""
        self.pdf.ln(1)
        self.pdf.set_font(FONT, "", 9)
        align = tuple("RIGHT" if i in right else "LEFT" for i in range(len(headers)))
        with self.pdf.table(col_widths=widths, text_align=align, line_height=6,
                            headings_style=FontFace(emphasis="BOLD", fill_color=(235, 238, 242))) as table:
            for cells in [headers, *rows]:
                row = table.row()
                for cell in cells:
                    row.cell(cell)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
