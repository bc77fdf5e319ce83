"""Thumbnails and watermarked previews of delivered photos through the RQ job's code, against
Pillow's own resize of the same files, in the same run.

    .venv/bin/python -m bench.images [--count 1000]     # or BENCH_IMAGES=100 (also run by `make bench`)

Makes a handful of distinct 3000×2000 JPEG photos with Pillow (fractal detail, gradients and noise,
so they decode like photographs), lays out `count` delivery uploads over them (hard links: every
file is decoded in full, none is cached by Pillow), then times
(1) the baseline: for each file, Image.open + Image.thumbnail to 1200 px + save as JPEG — Pillow's
    own fastest way to a reduced copy (it asks the JPEG decoder for a reduced decode too), and
(2) the job: workers.jobs.derive_upload(id) for each — the function an RQ worker runs: the row read,
    a 1200 px view with the tiled watermark, a 320 px thumbnail, both written by rename, the row
    marked, a commit each,
and prints images/s for both and their ratio (target ≤ 1.5), with the process's peak memory after
the first 10 % and after all of the job's images (flat memory: the two stay equal)."""
import argparse
import os
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from PIL import Image, ImageDraw
from sqlalchemy import insert, select

from app import create_app
from bench.common import peak_mb
from extensions import db
from models import Upload
from services import accounts, storage
from workers.jobs import derive_upload  # the RQ job itself, as a worker runs it

SIZE = (3000, 2000)
DISTINCT = 6


def _photo(seed: int) -> Image.Image:
    detail = Image.effect_mandelbrot(SIZE, (-2.2 + seed * 0.05, -1.2, 1.0, 1.2 - seed * 0.03), 60)
    ramp = Image.linear_gradient("L").resize(SIZE)
    noise = Image.effect_noise(SIZE, 30 + seed * 4)
    image = Image.merge("RGB", (detail, ramp.rotate(seed * 40), Image.blend(noise, ramp, 0.5)))
    ImageDraw.Draw(image).ellipse((400 + seed * 200, 300, 1600 + seed * 200, 1500), outline=(255, 240, 200), width=40)
    return image


def _lay_out(app, count: int) -> list[int]:
    root = Path(app.config["UPLOAD_DIR"])
    (root / "sources").mkdir(parents=True, exist_ok=True)
    sources = []
    for seed in range(DISTINCT):
        path = root / "sources" / f"{seed}.jpg"
        _photo(seed).save(path, "JPEG", quality=90)
        sources.append(path)
    owner = accounts.register(email="bench-images@example.com", password="long enough pw", role="provider",
                              display_name="杭州视觉工作室 Studio", email_verified=True)
    db.session.flush()
    rows = []
    for i in range(count):
        name = f"deliveries/{i // 100}/{i:06d}.jpg"
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.link(sources[i % DISTINCT], root / name)
        rows.append({"owner_id": owner.id, "stored_name": name, "content_type": "image/jpeg",
                     "size": sources[i % DISTINCT].stat().st_size})
    db.session.execute(insert(Upload), rows)
    db.session.commit()
    return list(db.session.scalars(select(Upload.id).order_by(Upload.id)))


def main(count: int | None = None) -> None:
    if count is None:
        parser = argparse.ArgumentParser(prog="python -m bench.images")
        parser.add_argument("--count", type=int, default=int(os.environ.get("BENCH_IMAGES", "1000")))
        count = parser.parse_args().count
    tmp = tempfile.mkdtemp(prefix="witkey-bench-images-")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                      "UPLOAD_DIR": f"{tmp}/uploads", "INSTANCE_PATH": tmp})

    with app.app_context():
        upgrade()
        ids = _lay_out(app, count)
        names = [storage.path_of(n) for n in db.session.scalars(select(Upload.stored_name).order_by(Upload.id))]
        out = Path(tmp) / "baseline"
        out.mkdir()
        start = time.perf_counter()
        for i, path in enumerate(names):
            with Image.open(path) as image:
                image.thumbnail((1200, 1200))
                image.save(out / f"{i}.jpg", "JPEG", quality=80)
        baseline = time.perf_counter() - start

        tenth = max(1, count // 10)
        start = time.perf_counter()
        for i, upload_id in enumerate(ids):
            derive_upload(upload_id)
            if i + 1 == tenth:
                peak_tenth = peak_mb()
        job = time.perf_counter() - start
        db.session.remove()
        done = db.session.scalar(select(db.func.count()).select_from(Upload).where(Upload.derived_at.isnot(None)))
    assert done == count, f"{done} of {count} derived"
    print(f"{count} photos of {SIZE[0]}×{SIZE[1]} px ({DISTINCT} distinct, JPEG q90)")
    print(f"  baseline: Pillow open + thumbnail(1200) + save   {count / baseline:7.1f} images/s")
    print(f"  job: 1200 px watermarked view + 320 px thumbnail {count / job:7.1f} images/s")
    print(f"  ratio job / baseline: {job / baseline:.2f}× (target ≤ 1.5)")
    print(f"  peak memory: {peak_tenth:.0f} MB after {tenth} images, {peak_mb():.0f} MB after {count}")


if __name__ == "__main__":
    main()
