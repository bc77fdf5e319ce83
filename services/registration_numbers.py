"""China's unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, last one a check.

Staff verify a provider against this number; checking its shape and check character first catches
typos before anyone looks it up in the national enterprise credit system.
"""
import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SHAPE = re.compile(rf"^[{ALPHABET}]{{18}}$")


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    return (code or "").strip().upper().replace(" ", "")


def is_valid(code: str) -> bool:
    code = normalise(code)
    return bool(_SHAPE.match(code)) and check_character(code[:17]) == code[17]


def complete(first17: str) -> str:
    """Append the check character (used to make valid demo and test numbers)."""
    return first17 + check_character(first17)
