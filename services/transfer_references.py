"""A brand's permanent bank transfer reference: what it writes on a transfer so finance (or the
statement import) knows whose wallet the money is for.

`WK` + five characters + one check character, e.g. `WK7F3QK9`. The alphabet leaves out characters
people confuse when they read or type a reference (0/O, 1/I/L, U/V, 2/Z: O, I, L, U and Z go), and has 29 symbols: 29 is
prime, so the check `Σ weightᵢ·valueᵢ ≡ 0 (mod 29)` with distinct non-zero weights catches every single
wrong character (weight·difference ≠ 0 mod a prime) and every swap of two neighbours (the difference
of their weights times the difference of their values ≠ 0).

The five characters are the organisation's principal id under a fixed permutation of 0…29⁵−1, so a
reference is the same every time it is shown, belongs to one account only, needs no stored row, and
consecutive accounts do not get look-alike references. Ids beyond 29⁵ (20 million) would need a sixth
character; `reference_for` refuses them rather than wrap.
"""
from services.funding import normalise_reference

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXY"  # 29 symbols: no 0 1 I L O U Z
assert len(ALPHABET) == len(set(ALPHABET)) == 29
PREFIX = "WK"
BODY = 5
SPACE = len(ALPHABET) ** BODY
# A multiplier prime to SPACE (29⁵) and an offset: an invertible affine map of 0…SPACE−1.
_MUL, _ADD = 7_368_787, 4_194_301
_INV = pow(_MUL, -1, SPACE)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def _check_char(body: str) -> str:
    """The character that makes the weighted sum of body + check ≡ 0 (mod 29); the check has weight 1
    and the body's characters weights BODY+1 … 2 (all distinct, all below 29)."""
    total = sum(_VALUE[ch] * (BODY + 1 - i) for i, ch in enumerate(body))
    return ALPHABET[(-total) % 29]


def reference_for(account_id: int) -> str:
    """The reference of the organisation whose principal is `account_id` (users.id)."""
    if not 0 < account_id < SPACE:
        raise ValueError(f"account id {account_id} is beyond what a {BODY}-character reference holds")
    n = (account_id * _MUL + _ADD) % SPACE
    body = ""
    for _ in range(BODY):
        n, digit = divmod(n, len(ALPHABET))
        body = ALPHABET[digit] + body
    return PREFIX + body + _check_char(body)


def looks_like_reference(text: str | None) -> bool:
    """Whether a bank reference has our shape (prefix and length), whatever its check character says:
    such a line is meant for a wallet, so a wrong check character is reported, not silently queued."""
    code = normalise_reference(text)
    return len(code) == len(PREFIX) + BODY + 1 and code.startswith(PREFIX)


def account_id_of(text: str | None) -> int | None:
    """The principal id a reference names, or None when it is not one of ours or its check character
    does not match (a typo). The reference may be typed in any case, with spaces or separators."""
    code = normalise_reference(text)
    if not looks_like_reference(code) or any(ch not in _VALUE for ch in code[len(PREFIX):]):
        return None
    body, check = code[len(PREFIX):-1], code[-1]
    if _check_char(body) != check:
        return None
    n = 0
    for ch in body:
        n = n * len(ALPHABET) + _VALUE[ch]
    account_id = ((n - _ADD) * _INV) % SPACE
    return account_id or None
