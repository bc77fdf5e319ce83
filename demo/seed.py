"""Demo data for `make run`: brands, providers in every category across provinces, tenders in
every status this build supports. Everything goes through the services, so it obeys the rules.

Money moves through the ledger backend whatever STRIPE_SECRET_KEY says: the whole demo is one
transaction, and nothing may be asked of Stripe for rows that can still roll back (a PaymentIntent
made for a rolled-back milestone would stay at Stripe, its idempotency key taken for 24 h). The
brands' wallets are credited by recorded bank transfers, and funding spends them."""
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from demo import contests as demo_contests
from demo import engagements, pictures
from extensions import db
from models import Contract, User
from models.contract import ContractStatus
from models.types import utcnow
from services import (
    accounts,
    bafo,
    bidding,
    brand_scores,
    conversations,
    directory,
    envelopes,
    escrow,
    evaluation,
    funding,
    invoices,
    kpis,
    market,
    payout_accounts,
    portfolio,
    profiles,
    ratings_data,
    registration_numbers,
    reviews,
    tenders,
    transfer_references,
    two_factor,
)
from services.bidding import BidInput, MilestoneInput
from services.criteria import CriterionInput
from services.tenders import KpiInput, TenderInput

DEMO_PASSWORD = "witkey-demo-2026"
ADMIN_EMAIL = "staff@witkey.demo"
# Staff sign in with a TOTP code: add this key to an authenticator app, or print the current code with
# .venv/bin/python -c "import pyotp; print(pyotp.TOTP('<key>').now())". A demo key only: it is public.
ADMIN_TOTP_SECRET = "WITKEYDEMOSTAFFKEYTOTP234567ABCD"
LEDGER = funding.LedgerBackend()

BRANDS = [
    ("hanfeng@witkey.demo", "韩枫服饰 Hanfeng Apparel", "flagship", "zhejiang", "杭州"),
    ("liangpin@witkey.demo", "良品小食 Liangpin Snacks", "large", "anhui", "芜湖"),
    ("moshan@witkey.demo", "墨山茶舍 Moshan Tea", "small", "fujian", "福州"),
]

# (e-mail, company, categories, province, city, team size, verification, case)
PROVIDERS = [
    ("yunke@witkey.demo", "云客客服外包 Yunke CS", ["customer_service"], "zhejiang", "杭州", 180, "verified",
     ("Apparel brand pre-sale chat team", "customer_service", "first-response time", "59.71 s", "24.79 s")),
    ("xinyu@witkey.demo", "心语客服 Xinyu Service", ["customer_service", "operations"], "jiangsu", "南京", 60,
     "pending", ("After-sale team for a home-appliance store", "customer_service", "service score", "4.6", "4.9")),
    ("guangying@witkey.demo", "光影摄影工作室 Guangying Studio", ["photography", "video"], "guangdong", "广州", 25,
     "verified", ("Spring collection model shoot", "photography", "click-through rate", "1.2 %", "2.1 %")),
    ("jingxiang@witkey.demo", "镜像视觉 Jingxiang Visual", ["photography"], "zhejiang", "义乌", 12, "unsubmitted",
     None),
    ("meiyang@witkey.demo", "美样设计 Meiyang Design", ["design"], "shanghai", "上海", 30, "verified",
     ("Food brand detail-page redesign", "design", "conversion", "0.85 %", "3 %")),
    ("chengdu-design@witkey.demo", "蜀绣设计 Shuxiu Design", ["design", "video"], "sichuan", "成都", 8, "rejected",
     None),
    ("kuaipai@witkey.demo", "快拍短视频 Kuaipai Video", ["video"], "fujian", "厦门", 15, "verified",
     ("Short videos for a snack launch", "video", "completion rate", "18 %", "34 %")),
    ("zhiyuan@witkey.demo", "智远咨询 Zhiyuan Consulting", ["consulting"], "beijing", "北京", 40, "verified",
     ("Store diagnosis and traffic plan", "consulting", "monthly visitors", "120k", "310k")),
    ("hanxue@witkey.demo", "汉学电商培训 Hanxue Training", ["consulting"], "hubei", "武汉", 10, "pending", None),
    ("yunying@witkey.demo", "全店运营 Quandian Ops", ["operations"], "guangdong", "深圳", 55, "verified",
     ("Full store operation for a cosmetics shop", "operations", "monthly GMV", "¥0.8M", "¥2.3M")),
    ("tianma@witkey.demo", "天马代运营 Tianma Ops", ["operations", "customer_service"], "henan", "郑州", 70,
     "pending", None),
]


def database_is_empty() -> bool:
    return db.session.scalar(select(func.count()).select_from(User)) == 0


def _number(seq: int) -> str:
    return registration_numbers.complete(f"91330100MA2{seq:06d}")


def load_demo() -> list[tuple[str, str]]:
    """Create the demo world; return (role, e-mail) of every login."""
    logins: list[tuple[str, str]] = []
    staff = accounts.create_admin(email=ADMIN_EMAIL, password=DEMO_PASSWORD, display_name="Witkey 平台审核")
    two_factor.enrol_with_secret(staff, ADMIN_TOTP_SECRET)
    logins.append(("admin", ADMIN_EMAIL))

    brands = []
    for seq, (email, name, tier, province, city) in enumerate(BRANDS, start=1):
        brand = accounts.register(email=email, password=DEMO_PASSWORD, role="brand", display_name=name,
                                  email_verified=True)  # demo accounts: verified, never mailed
        profiles.update_brand_profile(brand, store_name=name, size_tier=tier, registration_number=_number(seq),
                                      province=province, city=city, invoice_title=name, tax_id=_number(seq))
        portfolio.set_avatar(brand, pictures.logo(name, seq), "logo.png")
        if seq == 2:  # a brand that asked for the verified mark: staff's screen has one waiting
            licence = pictures.poster("营业执照 Business licence", f"{_number(seq)} · {name}", seq, size=(1200, 850))
            profiles.request_verification(brand, _number(seq), "李娜 Li Na", (licence, "licence.jpg"))
        brands.append(brand)
        logins.append(("brand", email))

    providers = {}
    for seq, (email, company, categories, province, city, team, status, case) in enumerate(PROVIDERS, start=100):
        user = accounts.register(email=email, password=DEMO_PASSWORD, role="provider", display_name=company,
                                 email_verified=True)
        profiles.update_provider_profile(user, company_name=company, categories=categories, province=province,
                                         city=city, description=f"{company} · {city} · {team} 人 / a team of {team}.",
                                         team_size=team)
        portfolio.set_avatar(user, pictures.logo(company, seq), "avatar.png")
        if case:
            title, category, metric, before, after = case
            added = profiles.add_case(user, title=title, category=category, description="", metric=metric,
                                      before_value=before, after_value=after,
                                      client_brand="良品小食 Liangpin Snacks" if category == "design" else "")
            portfolio.set_case_image(user, added.id, pictures.poster(title, f"{metric} {before} → {after}", seq),
                                     "case.jpg")
        if status != "unsubmitted":
            licence = pictures.poster("营业执照 Business licence", f"{_number(seq)} · {company}", seq, size=(1200, 850))
            profiles.request_verification(user, _number(seq), "王海 Wang Hai", (licence, "licence.jpg"))
        if status == "verified":
            profiles.verify_provider(staff, user.id, checked_number=_number(seq))
            payout_accounts.save_bank_details(user, account_name=company, bank_name="中国工商银行 上海分行",
                                              account_number=f"6222{seq:015d}", vouched=True)
        elif status == "rejected":
            profiles.reject_provider(staff, user.id, reason="The licence photo does not match the number given.")
        logins.append(("provider", email))
        providers[email.split("@")[0]] = user

    for brand, yuan in zip(brands, (1_000_000, 200_000, 50_000), strict=True):
        funding.record_deposit(staff, brand, yuan * 100, "CNY", f"DEMO-BANK-{brand.id:04d}")
    _tenders(brands, providers)
    engagements.load(brands[0], providers["yunke"], providers["xinyu"], brands[2], providers["guangying"])
    _track_record(brands, providers["kuaipai"])
    _conversations()
    demo_contests.load(brands[2], brands[0], providers)
    db.session.flush()
    market.recompute()  # the market page shows the demo at once, not after the first nightly run
    return logins


def _tender(brand, title, category, description, low, high, days, rounds, sealed=False, kpis=()):  # noqa: PLR0917
    return tenders.create_tender(brand, TenderInput(
        title=title, category=category, description=description, budget_min=low * 100, budget_max=high * 100,
        currency="CNY", bid_deadline=utcnow() + timedelta(days=days), sealed=sealed, rounds=list(rounds),
        kpis=[KpiInput(*k) for k in kpis]))


def _bid(provider, tender, amount_yuan: int, days: int, proposal: str):
    """A bid in three milestones (30 % / 30 % / 40 %) due across the delivery time."""
    total = amount_yuan * 100
    first = second = total * 3 // 10
    plan = [MilestoneInput("Kick-off and plan", first, max(1, days // 4)),
            MilestoneInput("Main delivery", second, max(1, days // 2)),
            MilestoneInput("Final delivery and review", total - first - second, days)]
    return bidding.submit_bid(provider, tender.id, BidInput(amount=total, currency="CNY", delivery_days=days,
                                                            proposal=proposal, milestones=plan))


def _tenders(brands, p) -> None:
    hanfeng, liangpin, moshan = brands
    apparel = _tender(hanfeng, "全国服饰品牌客服外包招标 Customer-service outsourcing for a national apparel brand",
            "customer_service",
            "Pre-sale and after-sale chat for our flagship store, 09:00–24:00, about 6,000 conversations a day. "
            "Evaluation: written proposal, pitch presentation, then an on-site inspection of your centre.",
            300000, 600000, 14, ["proposal", "pitch", "site_visit"], sealed=True,
            kpis=[("first-response time", 30, "s", "at_most"), ("conversion rate", 52, "%"),
                  ("service score", 4.8, "")])
    _bid(p["yunke"], apparel, 450000, 90, "## 方案 Plan\nA dedicated team of 40 agents, 09:00–24:00, QA lead.")
    _bid(p["xinyu"], apparel, 420000, 90, "Pre-sale and after-sale team of 32 agents with a weekly KPI report.")
    _bid(p["tianma"], apparel, 480000, 120, "Full coverage including night shifts, 45 agents, two supervisors.")
    detail = _tender(liangpin, "零食详情页改版 Detail-page redesign for 12 snack products", "design",
            "Redesign the mobile detail pages of our 12 best sellers; we want conversion above 2.5 %.",
            20000, 60000, 10, ["proposal", "pitch"], kpis=[("conversion rate", 2.5, "%")])
    _bid(p["meiyang"], detail, 48000, 30, "We took a food brand's detail-page conversion from 0.85 % to 3 %.")
    _tender(liangpin, "新品短视频 Short videos for the autumn launch", "video",
            "Ten 15-second product videos for the autumn snack launch, vertical format.",
            15000, 30000, 7, ["proposal"])
    _tender(moshan, "茶叶产品拍摄 Product photography for 30 teas", "photography",
            "White-background and scene shots for 30 tea products, delivered in two batches.",
            5000, 12000, 5, ["proposal"])
    _tender(moshan, "店铺诊断 Store diagnosis and traffic plan", "consulting",
            "A diagnosis of our small tea shop and a three-month traffic plan.", 3000, 8000, 12, ["proposal"])
    # Closed early by the brand: now evaluating in its first round.
    evaluating = _tender(hanfeng, "整店代运营 Full store operation, 12 months", "operations",
                         "Full operation of our outlet store for 12 months; monthly retainer plus GMV bonus.",
                         500000, 1200000, 9, ["proposal", "pitch"])
    _bid(p["yunying"], evaluating, 960000, 365, "Twelve months of full operation; GMV bonus above ¥2M a month.")
    _bid(p["tianma"], evaluating, 880000, 365, "Operation plus customer service in one team.")
    tenders.close_tender(hanfeng, evaluating.id)
    evaluation.advance_bid(hanfeng, evaluating.bids[0].id, 86, "Strong cosmetics case")
    # Awarded: a photography tender that became a contract with three milestones.
    shoot = _tender(moshan, "春茶上新拍摄 Spring tea launch photography", "photography",
                    "Product and scene photography for the spring tea launch, 40 images.", 6000, 15000, 4,
                    ["proposal"])
    won = _bid(p["guangying"], shoot, 12000, 20, "Two shooting days in our Guangzhou studio, 40 retouched images.")
    _bid(p["meiyang"], shoot, 14000, 25, "Design-led shoot with a matching detail-page layout.")
    tenders.close_tender(moshan, shoot.id)
    contract = evaluation.award(moshan, shoot.id, won.id)
    first = contract.milestones[0]
    funding.fund(moshan, first.id, via=LEDGER)
    # Images: the brand sees them as watermarked previews until it releases the milestone.
    escrow.deliver(p["guangying"], first.id, "Shooting plan, mood board and the studio booking for both days.",
                   ["https://pan.example.com/s/spring-tea-plan"],
                   [(pictures.poster("Mood board · spring tea", "白茶 · 绿茶 · 乌龙", 2), "mood-board.jpg"),
                    (pictures.poster("Set plan · day 1", "studio A · 09:00–18:00", 3), "set-plan-day-1.jpg")])
    # Past its deadline: evaluating by time, with no job needed.
    lapsed = _tender(liangpin, "客服培训 Customer-service staff training", "consulting",
                     "Two days of on-site training for 20 chat agents.", 8000, 15000, 3, ["proposal"])
    lapsed.bid_deadline = utcnow() - timedelta(hours=2)
    _two_envelope_tender(moshan, p)
    cancelled = _tender(moshan, "Logo 设计 Logo refresh", "design", "A refreshed logo for our tea brand.",
                        2000, 5000, 6, ["proposal"])
    tenders.cancel_tender(moshan, cancelled.id, "We decided to keep the current logo this year.")


def _two_envelope_tender(brand, p) -> None:
    """A two-envelope tender with a scorecard in evaluation: prices open, a best-and-final round running."""
    tender = tenders.create_tender(brand, TenderInput(
        title="茶叶店铺客服 Customer service for the tea shop (two envelopes)", category="customer_service",
        description="Chat service for our tea shop, 10:00–22:00. Technical offers are graded before any price opens.",
        budget_min=60000_00, budget_max=120000_00, currency="CNY", bid_deadline=utcnow() + timedelta(days=8),
        rounds=["proposal"], two_envelope=True, blind_grading=True,
        criteria={"proposal": [CriterionInput("staffing plan", 60), CriterionInput("training", 40)]}))
    bids = [_bid(p["guangying"], tender, 98000, 60, "Six agents trained on tea; daily reports and a QA lead."),
            _bid(p["yunke"], tender, 105000, 60, "## 方案 Plan\nEight agents in two shifts, tea-knowledge training.")]
    tenders.close_tender(brand, tender.id)
    envelopes.open_technical(brand, tender.id)
    for bid in bids:
        envelopes.judge(brand, bid.id, True)
    envelopes.open_prices(brand, tender.id)
    bafo.open_round(brand, tender.id, [b.id for b in bids], utcnow() + timedelta(days=3))


COMPLETED_VIDEOS = [  # (brand index, title, amount in yuan, the brand's scores, its comment)
    (1, "新品开箱短视频 Unboxing videos for six snacks", 18000, (5, 5, 4, 5), "Fast, and the hooks really work."),
    (0, "秋冬系列穿搭短视频 Autumn outfit videos", 26000, (4, 5, 4, 4), "Good styling; one reshoot needed."),
    (1, "直播切片剪辑 Live-stream highlight clips", 12000, (5, 4, 5, 5), "Delivered every batch on time."),
]


def _track_record(brands, provider) -> None:
    """Three completed, reviewed contracts, so a provider shows its stars and why it has them."""
    for brand_index, title, yuan, scores, comment in COMPLETED_VIDEOS:
        brand = brands[brand_index]
        tender = _tender(brand, title, "video", "Vertical short videos, 15–30 seconds each.", yuan // 2, yuan * 2, 5,
                         ["proposal"], kpis=[("completion rate", 30, "%")])
        bid = _bid(provider, tender, yuan, 21, "Script, shoot and edit in our Xiamen studio.")
        tenders.close_tender(brand, tender.id)
        contract = evaluation.award(brand, tender.id, bid.id)
        for n, milestone in enumerate(contract.milestones):
            funding.fund(brand, milestone.id, via=LEDGER)
            kpis.record_result(brand, milestone.id, tender.kpis[0].id, (34, 31, 27)[n])
            escrow.deliver(provider, milestone.id, "Delivered: see the shared folder.",
                           ["https://pan.example.com/s/videos"])
            escrow.accept(brand, milestone.id)
            invoices.issue(provider, milestone.id, number=f"KP-{milestone.id:06d}", tax_rate_bps=600)
        reviews.submit(brand, contract.id, dict(zip(("quality", "communication", "timeliness", "professionalism"),
                                                    scores, strict=True)), comment)
        reviews.submit(provider, contract.id, {"quality": 5, "communication": 5, "timeliness": 5,
                                               "professionalism": 5}, "Clear briefs and quick feedback.")
    db.session.flush()
    ratings_data.recompute([provider.id], utcnow())
    brand_scores.recompute(utcnow())  # as the nightly job would: the brands' scores on the tenders
    directory.award_badges()  # as the nightly job would: the demo shows a partner badge


def _conversations() -> None:
    """A thread on every contract not yet finished, so the messages list, the unread count and a thread's
    page show something (the demo's people talk as the platform's users do: in both languages)."""
    for contract in db.session.scalars(select(Contract).where(Contract.status == ContractStatus.ACTIVE)
                                       .order_by(Contract.id)):
        brand, provider = db.session.get(User, contract.brand_id), db.session.get(User, contract.provider_id)
        conv, _, _ = conversations.open_conversation(
            brand, contract_id=contract.id, body="第一阶段的素材已上传到合同附件，请查收。/ The first batch of "
                                                 "material is attached to the contract.")
        conversations.send(provider, conv.id, "收到，明天上午给您初稿。/ Received — a first draft tomorrow morning.")
        conversations.send(brand, conv.id, "好的，辛苦了！/ Great, thank you!")


SAMPLE_STATEMENT = Path(__file__).with_name("bank_statement_sample.csv")


def write_sample_statement(folder: str) -> Path:
    """A bank statement for trying the import (Staff → Bank statements): the sample in demo/ with the
    first demo brand's transfer reference filled in — as typed, with spaces, and mistyped (a swap of two
    neighbours, which its check character catches) — since a reference depends on the account's id."""
    brand = db.session.scalar(select(User).where(User.email == BRANDS[0][0]))
    reference = transfer_references.reference_for(brand.account_id)
    i = next(i for i in range(2, len(reference) - 1) if reference[i] != reference[i + 1])
    mistyped = reference[:i] + reference[i + 1] + reference[i] + reference[i + 2:]
    text = SAMPLE_STATEMENT.read_text(encoding="utf-8").format(
        reference=reference, reference_spaced=f"{reference[:2]} {reference[2:6]} {reference[6:]}",
        reference_mistyped=mistyped)
    path = Path(folder) / "demo-bank-statement.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
