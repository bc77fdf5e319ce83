"""Real image files made with Pillow for the upload tests: photos with EXIF and GPS, decompression
bombs, polyglots."""
import io
import struct
import zipfile
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo(size=(64, 32), colour=(200, 80, 40), fmt="JPEG", **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt, **save)
    return out.getvalue()


def photo_with_gps(size=(64, 32), orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: GPS position, camera make, and an orientation (6: turn 90° right)."""
    exif = Image.Exif()
    exif[0x010F] = "WitkeyPhone"  # Make
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (30.0, 15.0, 36.0), 3: "E", 4: (120.0, 9.0, 54.0)}  # Hangzhou
    return photo(size, exif=exif.tobytes())


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(side: int = 100_000) -> bytes:
    """A valid PNG header for a side × side greyscale picture (10 gigapixels) with a few compressed
    rows: a small file that would decode to far more memory than any server has."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (side + 1) * 8, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<html><body>not a picture</body></html>")
    return out.getvalue()
