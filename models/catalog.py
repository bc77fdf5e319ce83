"""Fixed vocabularies of the market (codes only; their translated labels live in i18n/labels.py)."""

CATEGORIES = ("customer_service", "photography", "design", "video", "consulting", "operations")
SIZE_TIERS = ("small", "growing", "large", "flagship")
ROUND_KINDS = ("proposal", "pitch", "site_visit")
CURRENCIES = ("CNY", "USD", "EUR", "HKD")

# Mainland provinces, municipalities and regions, plus HK/MO/TW, by their pinyin code.
PROVINCES = (
    "beijing", "tianjin", "hebei", "shanxi", "inner_mongolia", "liaoning", "jilin", "heilongjiang",
    "shanghai", "jiangsu", "zhejiang", "anhui", "fujian", "jiangxi", "shandong", "henan", "hubei",
    "hunan", "guangdong", "guangxi", "hainan", "chongqing", "sichuan", "guizhou", "yunnan", "tibet",
    "shaanxi", "gansu", "qinghai", "ningxia", "xinjiang", "hong_kong", "macau", "taiwan",
)
