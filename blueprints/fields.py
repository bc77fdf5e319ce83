"""Form fields shared by the web blueprints."""
from wtforms import DecimalField


class FiniteDecimalField(DecimalField):
    """A DecimalField that refuses NaN and Infinity: Decimal accepts them, money cannot be them."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))
