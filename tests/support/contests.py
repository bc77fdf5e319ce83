"""A contest with a funded brand and a few providers, as API callers, for the contest tests."""
import io
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import Contest, Upload
from services.runners import images as image_job
from tests.support.images import photo


def contest_payload(**overrides) -> dict:
    deadline = datetime.now(UTC) + timedelta(days=5)
    return {"title": "Logo for a tea shop", "category": "design", "currency": "CNY",
            "brief": "A round logo for our Hangzhou tea shop, green and gold.", "prizes": [300000, 100000],
            "entry_deadline": deadline.isoformat(), "blind": True, **overrides}


def image_part(colour=(200, 80, 40), name="entry.png"):
    return (io.BytesIO(photo(size=(120, 80), colour=colour, fmt="PNG")), name)


@dataclass
class Race:
    app: object
    brand: object
    staff: object
    brand_id: int
    providers: list = field(default_factory=list)  # Api per provider
    provider_ids: list = field(default_factory=list)
    contest_id: int = 0

    def deposit(self, amount: int):
        r = self.staff.post("/admin/deposits", json={"user_id": self.brand_id, "amount": amount, "currency": "CNY",
                                                     "reference": f"BANK-{uuid.uuid4().hex[:10]}"})
        assert r.status_code == 201, r.json

    def enter(self, i: int, note: str = "Our take", colour=(200, 80, 40)) -> int:
        r = self.providers[i].post(f"/contests/{self.contest_id}/entries", content_type="multipart/form-data",
                                   data={"note": note, "file": image_part(colour)})
        assert r.status_code == 201, r.json
        return r.json["id"]

    def move(self, **columns):
        """Move a contest's deadlines (the clock, as the tests see it)."""
        with self.app.app_context():
            contest = db.session.get(Contest, self.contest_id)
            for name, value in columns.items():
                setattr(contest, name, value)
            db.session.commit()

    def close_entries(self):
        now = datetime.now(UTC)
        self.move(entry_deadline=now - timedelta(minutes=1), selection_deadline=now + timedelta(days=7))

    def pass_selection(self):
        now = datetime.now(UTC)
        self.move(entry_deadline=now - timedelta(days=8), selection_deadline=now - timedelta(minutes=1))

    def derive_images(self):
        """Run the image job for every upload (what the RQ worker does after commit)."""
        with self.app.app_context():
            for upload_id in db.session.scalars(select(Upload.id)).all():
                image_job.derive(upload_id)


@pytest.fixture
def contest_race(app, api, make_user):
    """contest_race(n_providers=3, fund=…, **contest overrides) → a Race with a published contest."""

    def build(n_providers: int = 3, fund: int | None = None, **overrides) -> Race:
        brand_user = make_user("brand")
        users = [make_user("provider") for _ in range(n_providers)]
        race = Race(app=app, brand=api(brand_user), staff=api(make_user("admin")), brand_id=brand_user.id,
                    providers=[api(u) for u in users], provider_ids=[u.id for u in users])
        payload = contest_payload(**overrides)
        race.deposit(fund if fund is not None else sum(payload["prizes"]))
        r = race.brand.post("/contests", json=payload)
        assert r.status_code == 201, r.json
        race.contest_id = r.json["id"]
        return race

    return build
