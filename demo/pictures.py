"""Pictures for the demo, drawn with Pillow at seed time (no downloads): logos and avatars from a
name's first character, portfolio and delivery images as simple posters of what the case achieved."""
import io

from PIL import Image, ImageDraw

from services.watermark import font

PALETTE = [(196, 69, 54), (44, 110, 73), (38, 84, 124), (214, 140, 38), (110, 64, 140), (22, 125, 127)]


def _png(image: Image.Image, fmt: str = "PNG") -> io.BytesIO:
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 88} if fmt == "JPEG" else {}))
    out.seek(0)
    return out


def logo(name: str, seed: int) -> io.BytesIO:
    """A 400 px square: the name's first character on a colour of the palette."""
    colour = PALETTE[seed % len(PALETTE)]
    image = Image.new("RGB", (400, 400), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((30, 30, 370, 370), outline=(255, 255, 255), width=12)
    draw.text((200, 205), name[:1], font=font(190), fill=(255, 255, 255), anchor="mm")
    return _png(image)


def poster(title: str, line: str, seed: int, size=(1800, 1200)) -> io.BytesIO:
    """A JPEG poster: a diagonal gradient, a few shapes, the title and a result line."""
    width, height = size
    base, accent = PALETTE[seed % len(PALETTE)], PALETTE[(seed + 2) % len(PALETTE)]
    ramp = Image.linear_gradient("L").rotate(45, expand=True).resize(size)
    image = Image.composite(Image.new("RGB", size, base), Image.new("RGB", size, accent), ramp)
    draw = ImageDraw.Draw(image)
    for i in range(5):
        r = 80 + 40 * i
        x, y = width * (i + 1) // 6, height // 3 + (i % 2) * 200
        draw.ellipse((x - r, y - r, x + r, y + r), outline=(255, 255, 255), width=6)
    draw.rectangle((0, height - 360, width, height), fill=(0, 0, 0))
    draw.text((60, height - 300), title[:48], font=font(72), fill=(255, 255, 255))
    draw.text((60, height - 170), line[:60], font=font(96), fill=(255, 214, 102))
    return _png(image, "JPEG")
