"""Tender list and search cost, as ratios to listing one page of 20 (measured in the same run).

    make bench            # 2,000 tenders on a temporary SQLite file
    BENCH_TENDERS=20000 DATABASE_URL=postgresql://… make bench

The PostgreSQL benchmarks run on their own: `python -m bench.ratings`, `python -m bench.payouts`,
`python -m bench.periods` (the period sweep of retainer contracts; see each module's docstring).
"""
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

from flask_migrate import upgrade
from sqlalchemy import insert

from app import create_app
from bench import images as images_bench
from extensions import db
from models import Tender
from services import accounts


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="witkey-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.db")
    os.environ["WITKEY_INSTANCE"] = tmp
    app = create_app({"TESTING": True})
    count = int(os.environ.get("BENCH_TENDERS", "2000"))
    with app.app_context():
        upgrade()
        brand = accounts.register(email="bench@example.com", password="long enough pw", role="brand",
                                  display_name="Bench brand", email_verified=True)
        db.session.commit()
        deadline = datetime.now(UTC) + timedelta(days=30)
        words = ["customer service", "detail page", "tea photography", "short video", "store diagnosis"]
        db.session.execute(insert(Tender), [
            {"brand_id": brand.id, "title": f"Tender {i} {words[i % 5]}", "category": "design",
             "description": f"Work item {i}: {words[(i * 7) % 5]} for the autumn launch.", "budget_min": 1000,
             "budget_max": 5000 + i, "currency": "CNY", "bid_deadline": deadline, "sealed": False,
             "rounds": ["proposal"], "stored_status": "open"} for i in range(count)])
        db.session.commit()
    client = app.test_client()

    def timed(path: str, repeat: int = 30) -> float:
        client.get(path)  # warm caches
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            assert client.get(path).status_code == 200
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    baseline = timed("/api/v1/tenders?per_page=20")
    cases = {
        "page of 100": "/api/v1/tenders?per_page=100",
        "last page of 20": f"/api/v1/tenders?per_page=20&page={max(1, count // 20)}",
        "search one word": "/api/v1/tenders?q=tea",
        "search two words + status": "/api/v1/tenders?q=tea+photography&status=open",
        "web list page": "/tenders",
    }
    print(f"{count} tenders; baseline: one API page of 20 = {baseline * 1000:.1f} ms (median)")
    for name, path in cases.items():
        print(f"  {name:28} {timed(path) / baseline:5.2f}× baseline")
    # Thumbnails and watermarks through the RQ job (bench/images.py; 1,000 photos: BENCH_IMAGES=1000).
    images_bench.main(int(os.environ.get("BENCH_IMAGES", "200")))


if __name__ == "__main__":
    main()
