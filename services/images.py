"""Image uploads made safe to store and show, with Pillow.

An uploaded image is decoded whole and stored re-encoded, never as the bytes that came in:
- a decompression bomb (a small file that decodes to billions of pixels) is refused from its header,
  before any pixel is decoded (`IMAGE_MAX_PIXELS`; Pillow's own MAX_IMAGE_PIXELS guard backs it up);
- a polyglot (an image that is also a ZIP, a PDF, a script, or has anything appended after the
  image's end) is refused: its other reading would survive in the original on someone's disk;
- EXIF (GPS position, camera serial, time) and text chunks are dropped by the re-encoding; the EXIF
  orientation is applied to the pixels first, so the picture still stands the right way up.
The derived files (thumbnail, watermarked preview) are made here too, by the job in
services/runners/images.py."""
import io
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from services.errors import Invalid
from services.watermark import watermark

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
DEFAULT_MAX_PIXELS = 40_000_000  # 40 MP: every camera photo; a bomb is thousands of times that
THUMB_PX = 320
PREVIEW_PX = 1200  # the brand's preview of undelivered work: enough to judge it, not to use it
# Signatures of other formats that make an image a polyglot when found anywhere in it.
_FOREIGN = re.compile(rb"%PDF-|PK\x03\x04|<\?php|<script|<html|<svg|<!doctype", re.IGNORECASE)

# The guard of last resort, for any Image.open in the process (a derived file, a benchmark).
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS


def _max_pixels() -> int:
    return int(current_app.config.get("IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def _refuse(message) -> Invalid:
    return Invalid(fields={"file": message})


def clean(data: bytes, mime: str) -> bytes:
    """The image re-encoded without metadata, or Invalid with the reason it cannot be stored."""
    if _FOREIGN.search(data) or _has_trailing_data(data, mime):
        raise _refuse(_l("This image also contains other data (another file hidden inside or appended to it). "
                         "Save it again as a plain image and upload that."))
    limit = _max_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != IMAGE_TYPES[mime] or image.width * image.height > limit:
                    raise Image.DecompressionBombError if image.format == IMAGE_TYPES[mime] else UnidentifiedImageError
                image.load()
                upright = ImageOps.exif_transpose(image)
                return _encode(upright, IMAGE_TYPES[mime], icc=image.info.get("icc_profile"))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(_l("This image is too large: at most %(mp)s megapixels.", mp=limit // 1_000_000)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _refuse(_l("This file is not a readable image.")) from None


def _has_trailing_data(data: bytes, mime: str) -> bool:
    """Whether bytes follow the image's own end marker (how most polyglots are made)."""
    if mime == "image/png":
        return data[-12:-4] != b"\x00\x00\x00\x00IEND"
    if mime == "image/jpeg":
        return not data.rstrip(b"\x00").endswith(b"\xff\xd9")
    if mime == "image/webp":
        return int.from_bytes(data[4:8], "little") + 8 != len(data)
    return False


def _encode(image: Image.Image, fmt: str, icc: bytes | None = None) -> bytes:
    """Only pixels (and the colour profile, which carries nothing personal) are written."""
    out = io.BytesIO()
    options = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=92, **options)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=90, **options)
    else:
        image.save(out, "PNG", **options)
    return out.getvalue()


# --- derived files (the job) --------------------------------------------------------------------------

def _rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    return image if image.mode == "RGB" else image.convert("RGB")


def derive_image(source: Path, thumb: Path, preview: Path, mark: str | None) -> None:
    """Write a JPEG thumbnail (≤ THUMB_PX) and a view (≤ PREVIEW_PX) of `source`, the view watermarked
    with `mark` (a provider's name) when given. The JPEG decoder is asked for a reduced decode first
    (draft), so a 3000 px photo is never decoded at full size."""
    with Image.open(source) as image:
        image.draft("RGB", (PREVIEW_PX, PREVIEW_PX))
        image.load()  # now, while the file is open (a small image is not resized, so nothing else loads it)
        work = _rgb(image)
        work.thumbnail((PREVIEW_PX, PREVIEW_PX), Image.Resampling.BILINEAR, reducing_gap=2.0)
    view = watermark(work, mark) if mark else work
    _write(preview, view, quality=80)
    # The thumbnail comes from the marked view: a small original (an icon, a sticker) would otherwise
    # come back whole, unmarked, as its own thumbnail.
    small = view.copy()
    small.thumbnail((THUMB_PX, THUMB_PX), Image.Resampling.BILINEAR, reducing_gap=2.0)
    _write(thumb, small, quality=80)


def _write(path: Path, image: Image.Image, quality: int) -> None:
    """Written to a temporary name, then renamed: a reader never sees half a file (and the job run
    twice writes the same name again)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as handle:
        image.save(handle, "JPEG", quality=quality)
    Path(handle.name).replace(path)


def video_poster(source: Path, thumb: Path) -> bool:
    """A poster frame of a video as its thumbnail, when ffmpeg is installed (optional); False without
    it or when ffmpeg cannot read the file (the page then shows a video icon)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return False
    thumb.parent.mkdir(parents=True, exist_ok=True)
    frame = thumb.with_suffix(".frame.jpg")
    try:
        subprocess.run([ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-ss", "1", "-i", str(source),  # noqa: S603
                        "-frames:v", "1", "-vf", f"scale='min({THUMB_PX},iw)':-2", str(frame)],
                       check=True, timeout=60, capture_output=True)
        with Image.open(frame) as image:
            _write(thumb, _rgb(image), quality=80)
    except (subprocess.SubprocessError, OSError):
        return False
    finally:
        frame.unlink(missing_ok=True)
    return True
