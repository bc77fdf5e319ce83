"""The tiled watermark on previews of unreleased work: "<provider> · Witkey preview" written
diagonally over the whole picture, so no crop of it is clean.

The mask for a given text and picture size is drawn once and kept (previews of one provider share
sizes), so marking a picture is one paste."""
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# A font with Chinese glyphs when the machine has one (providers' names are often Chinese), else
# Pillow's bundled font (Latin only; other characters show as boxes, the mark stays readable).
_CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
              "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
              "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
OPACITY = 130  # of 255: visible over any picture, the work still judgeable underneath


@lru_cache(maxsize=4)
def font(size: int):
    for path in _CJK_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def text_for(provider_name: str) -> str:
    return f"{provider_name[:40]} · Witkey preview"


@lru_cache(maxsize=32)
def _mask(text: str, size: tuple[int, int]) -> Image.Image:
    width, height = size
    text_font = font(max(14, min(width, height) // 22))
    left, top, right, bottom = text_font.getbbox(text)
    tile = Image.new("L", (right - left + 40, (bottom - top) * 4), 0)
    ImageDraw.Draw(tile).text((20 - left, (bottom - top) * 1.5 - top), text, font=text_font, fill=OPACITY)
    tile = tile.rotate(30, expand=True)
    mask = Image.new("L", size, 0)
    for row, y in enumerate(range(-tile.height // 2, height, max(1, tile.height // 2))):
        offset = (row % 2) * tile.width // 2
        for x in range(-tile.width + offset, width, tile.width):
            mask.paste(tile, (x, y), tile)
    return mask


def watermark(image: Image.Image, provider_name: str) -> Image.Image:
    """A marked copy of an RGB image."""
    marked = image.copy()
    marked.paste((255, 255, 255), (0, 0, *marked.size), _mask(text_for(provider_name), marked.size))
    # a dark shadow of the same mask, offset, keeps the mark readable on white
    marked.paste((0, 0, 0), (2, 2, *marked.size), _mask(text_for(provider_name), marked.size).crop(
        (0, 0, marked.width - 2, marked.height - 2)))
    return marked
