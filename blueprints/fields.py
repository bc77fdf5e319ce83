"""Form fields shared by the web blueprints."""
from wtforms import DecimalField
from wtforms.validators import NumberRange

# An amount typed in major units: at most 100 billion (services.tenders.MAX_AMOUNT in minor units).
MONEY = NumberRange(min=0, max=10**11)


class FiniteDecimalField(DecimalField):
    """A DecimalField that refuses NaN, Infinity and absurd magnitudes (1e999999 is a valid Decimal, and
    turning it into minor units would build a million-digit integer): money cannot be them.

    The magnitude is read from the exponent, never by arithmetic: abs(Decimal("1e1000000")) rounds to
    the decimal context and raises decimal.Overflow, and 1e-1000000 would underflow the same way."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and (not self.data.is_finite() or not -30 <= self.data.adjusted() < 15):
            if self.data.is_zero() and self.data.is_finite():  # 0e-1000000 is just zero
                self.data = self.data.__class__(0)
                return
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))


def row_id(value) -> int:
    """A row id as a form sends it (coerce= of a choice field): a positive number the database's
    integer columns hold, so no lookup can overflow."""
    number = int(value)
    if not 0 < number < 2**31:
        raise ValueError(value)
    return number
