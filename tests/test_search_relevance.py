"""Search that understands Chinese (services/search_index.py), on whichever backend the run uses (SQLite's FTS5
or PostgreSQL's GIN index: run with DATABASE_URL=postgresql://… for the second): 30 queries, Chinese and English,
each with the tender a person would expect first; every word must match; ties go to the newest."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import Contest, Tender, User
from models.types import utcnow
from services import contests, directory, profiles, tenders
from services.tenders import TenderFilters

# (title, category, description), oldest first: each is created a minute after the one before
TENDERS = [
    ("客服外包：电商店铺售前售后", "customer_service",
     "需要一支客服外包团队，负责天猫店铺的售前咨询和售后处理，全天在线。"),
    ("产品摄影 - 新品主图拍摄", "photography", "为三十款护肤品拍摄白底主图和场景图，需要专业摄影棚。"),
    ("Customer service outsourcing for our Tmall store", "customer_service",
     "We need a team to answer pre-sales questions in English and Chinese."),
    ("After-sales service desk", "customer_service", "Handle returns and refunds; each customer gets a reply "
                                                      "within an hour."),
    ("品牌设计与包装设计", "design", "新茶饮品牌的视觉识别系统和包装盒设计。"),
    ("短视频拍摄与剪辑", "video", "每月制作二十条抖音短视频，包括脚本、拍摄和剪辑。"),
    ("直播带货运营", "operations", "负责抖音直播间的日常运营和带货主播对接。"),
    ("详情页设计", "design", "为家电产品制作淘宝详情页，要求突出卖点。"),
    ("Product photography for a shoe brand", "photography",
     "Studio shots of fifty sneakers on a white background, plus lifestyle photos."),
    ("小红书种草推广", "operations", "招募达人在小红书发布种草笔记，提升新品曝光。"),
    ("京东店铺代运营", "operations", "京东自营店铺整体代运营，包括活动策划和数据分析。"),
    ("Logo redesign for a coffee chain", "design", "A modern logo and brand guidelines for forty cafés."),
    ("私域社群运营", "operations", "微信社群的日常维护和用户转化。"),
    ("新员工培训：电商售后", "consulting", "为新入职的客服人员提供两周的培训课程。"),
    ("Video editing for a YouTube channel", "video", "Edit two vlogs a week, with subtitles."),
    ("婚纱照修图精修", "photography", "婚纱照后期精修，每张照片需要精细修图。"),
    ("Data analysis consulting", "consulting", "Analyse our store's sales data and shopper behaviour."),
    ("年货节海报设计", "design", "春节年货节的活动海报，三种尺寸。"),
    ("年货节海报设计", "design", "春节年货节的活动海报，三种尺寸。"),  # the same, a minute newer
]
NEWER_TWIN = len(TENDERS) - 1

# (query, index in TENDERS of the expected first hit, other indexes that must also be found)
QUERIES = [
    ("客服", 0, {13}),  # "客服" inside "客服外包" and inside "客服人员"
    ("客服外包", 0, set()),
    ("外包", 0, set()),
    ("摄影", 1, set()),  # "摄影" inside "产品摄影" and "摄影棚"
    ("产品摄影", 1, set()),
    ("主图", 1, set()),
    ("customer service", 2, {3}),  # both words anywhere: the title of one, title and text of the other
    ("Customer SERVICE", 2, {3}),
    ("service customer", 2, {3}),
    ("品牌设计", 4, set()),
    ("包装", 4, set()),
    ("短视频", 5, set()),
    ("抖音 剪辑", 5, set()),
    ("直播", 6, set()),
    ("带货", 6, set()),
    ("详情页", 7, set()),
    ("product photography", 8, set()),
    ("photography", 8, set()),
    ("种草", 9, set()),
    ("小红书", 9, set()),
    ("代运营", 10, set()),
    ("京东", 10, set()),
    ("logo", 11, set()),
    ("社群", 12, set()),
    ("培训", 13, set()),
    ("修图", 15, set()),
    ("video editing", 14, set()),
    ("sales data", 16, set()),
    ("海报设计", NEWER_TWIN, {NEWER_TWIN - 1}),  # equally relevant: the newer first
    ("售后 团队", 0, set()),  # every word: only the first tender holds both
]


@pytest.fixture
def hall(app, make_user):
    """The tenders above, by one brand; their ids in TENDERS order."""
    brand = make_user("brand")
    start = utcnow() - timedelta(days=1)
    with app.app_context():
        rows = [Tender(brand_id=brand.id, title=title, category=category, description=description,
                       budget_min=1000_00, budget_max=2000_00, currency="CNY",
                       bid_deadline=utcnow() + timedelta(days=7), rounds=["proposal"], stored_status="open",
                       created_at=start + timedelta(minutes=n))
                for n, (title, category, description) in enumerate(TENDERS)]
        db.session.add_all(rows)
        db.session.commit()
        return [t.id for t in rows]


def _found(q: str) -> list[int]:
    return [t.id for t in tenders.search_tenders(TenderFilters(q=q), 1, 50).items]


def test_thirty_queries_find_what_a_person_expects_first(app, hall):
    assert len(QUERIES) == 30
    misses = []
    with app.app_context():
        for q, first, others in QUERIES:
            found = _found(q)
            expected = [hall[first], *(hall[i] for i in others)]
            if not found or found[0] != hall[first] or not set(expected) <= set(found):
                misses.append((q, [TENDERS[hall.index(i)][0] for i in found], TENDERS[first][0]))
    assert not misses, "\n".join(f"{q!r}: got {got}, expected first {want!r}" for q, got, want in misses)


def test_every_word_must_match_and_nothing_else_is_listed(app, hall):
    with app.app_context():
        assert _found("区块链") == []
        assert _found("客服 logo") == []
        assert _found("customer") == [hall[2], hall[3]]  # the title match first
        assert _found("photo") == []  # whole words: "photos" and "photography" are other words
        assert len(_found("")) == len(TENDERS)


def test_the_api_and_the_tender_hall_search_the_same_way(hall, client):
    body = client.get("/api/v1/tenders", query_string={"q": "客服"}).json
    assert [t["id"] for t in body["items"]] == [hall[0], hall[13]] and body["total"] == 2
    page = client.get("/tenders", query_string={"q": "摄影"}).get_data(as_text=True)
    assert "<mark>摄影</mark>" in page and TENDERS[8][0] not in page


def test_an_edited_title_is_found_by_its_new_words_and_not_its_old(app, hall):
    with app.app_context():
        tender = db.session.get(Tender, hall[11])
        tender.title = "咖啡连锁店标志重新设计"
        db.session.commit()
        assert _found("标志") == [hall[11]]
        assert _found("logo") == [hall[11]]  # still in its description
        tender = db.session.get(Tender, hall[11])
        tender.description = "为四十家门店设计新的视觉形象。"
        db.session.commit()
        assert _found("logo") == []
        assert _found("coffee") == []
        assert _found("门店") == [hall[11]]


def test_a_deleted_tender_leaves_the_index(app, hall):
    with app.app_context():
        db.session.delete(db.session.get(Tender, hall[9]))
        db.session.commit()
        assert _found("小红书") == []


@pytest.fixture
def studio(app, make_user, ctx):
    """A provider whose name, description, categories and portfolio cases are searchable, and another."""
    first, other = make_user("provider"), make_user("provider")
    profiles.update_provider_profile(db.session.get(User, first.id), company_name="光影视觉工作室",
                                     categories=["photography"], province=None, city=None,
                                     description="专注电商产品拍摄十年。", team_size=8)
    profiles.add_case(db.session.get(User, first.id), title="某护肤品牌618主图", category="photography",
                      description="四十款产品白底图", metric="点击率", before_value="1%", after_value="3%",
                      client_brand="Herbal Lab")
    profiles.update_provider_profile(db.session.get(User, other.id), company_name="Bright Service Co",
                                     categories=["customer_service"], province=None, city=None,
                                     description="Chat support around the clock.", team_size=40)
    db.session.commit()
    return first.id, other.id


def _providers(q: str) -> list[int]:
    return [p.user_id for p in directory.search(q=q).items]


def test_providers_are_found_by_name_category_in_either_language_and_portfolio(studio):
    photo, service = studio
    assert _providers("光影") == [photo]  # the name
    assert _providers("拍摄") == [photo]  # the description
    assert _providers("摄影") == [photo]  # the category, by its Chinese name
    assert _providers("photography") == [photo]  # … and its English one
    assert _providers("客服") == [service]
    assert _providers("主图") == [photo]  # a portfolio case's title
    assert _providers("herbal lab") == [photo]  # … and its client
    assert _providers("service") == [service]
    assert _providers("区块链") == []


def test_a_new_or_deleted_portfolio_case_changes_what_finds_the_provider(studio):
    photo, _ = studio
    actor = db.session.get(User, photo)
    case = profiles.add_case(actor, title="直播间布光", category="photography", description="", metric="",
                             before_value="", after_value="")
    db.session.commit()
    assert _providers("布光") == [photo]
    profiles.delete_case(db.session.get(User, photo), case.id)
    db.session.commit()
    assert _providers("布光") == []


def test_the_directory_page_and_api_take_search_words(studio, client):
    photo, _ = studio
    assert [p["id"] for p in client.get("/api/v1/providers", query_string={"q": "摄影"}).json["items"]] == [photo]
    page = client.get("/providers", query_string={"q": "光影"}).get_data(as_text=True)
    assert "<mark>光影</mark>视觉工作室" in page and "Bright Service Co" not in page


def test_contests_are_found_by_title_and_brief(app, make_user, client):
    brand = make_user("brand")
    now = utcnow()
    with app.app_context():
        for n, (title, brief) in enumerate([("新品包装设计比稿", "为有机茶叶设计礼盒包装。"),
                                            ("Logo for a bakery", "A friendly logo, two colours.")]):
            db.session.add(Contest(brand_id=brand.id, created_by_id=brand.id, title=title, category="design",
                                   brief=brief, currency="CNY", prize_total=1000_00,
                                   entry_deadline=now + timedelta(days=7), selection_deadline=now + timedelta(days=14),
                                   created_at=now - timedelta(minutes=10 - n)))
        db.session.commit()
        ids = {c.title: c.id for c in db.session.scalars(select(Contest))}
        assert [c.id for c in contests.search(None, q="包装").items] == [ids["新品包装设计比稿"]]
        assert [c.id for c in contests.search(None, q="LOGO").items] == [ids["Logo for a bakery"]]
        assert contests.search(None, q="客服").items == []
    page = client.get("/contests", query_string={"q": "茶叶"}).get_data(as_text=True)
    assert "新品包装设计比稿" in page and "Logo for a bakery" not in page
