"""Server-drawn line charts (SVG coordinates, no script): a KPI across a contract's periods, a provider's
rating score over time. The template draws what this computes (templates/_line_chart.html)."""
from dataclasses import dataclass, field


@dataclass
class LineChart:
    points: list = field(default_factory=list)  # (x, y, label, value, extra) in SVG coordinates
    polyline: str = ""
    width: int = 640
    height: int = 180
    low: float = 0.0
    high: float = 1.0
    top: int = 16
    bottom: int = 156  # height - 24: room for the tick labels under the line

    def y_of(self, value: float) -> float:
        """The SVG y of a value on this chart's scale (a target line, a grid line)."""
        span = (self.high - self.low) or 1.0
        return round(self.bottom - (float(value) - self.low) / span * (self.bottom - self.top), 1)


def plot(items: list[tuple], x_range: tuple[float, float], y_range: tuple[float, float], *,
         width: int = 640, height: int = 180, left: int = 8) -> LineChart:
    """items: (x, value, label, extra) with x and value on the scales x_range and y_range; the chart keeps
    8 px at the right (and `left` px at the left, room for a scale's labels) so the end points' dots are whole."""
    chart = LineChart(width=width, height=height, low=float(y_range[0]), high=float(y_range[1]), bottom=height - 24)
    right = width - 8
    x_low, x_high = (float(v) for v in x_range)
    for x, value, label, extra in items:
        share = (float(x) - x_low) / (x_high - x_low) if x_high > x_low else 0.0
        chart.points.append((round(left + share * (right - left), 1), chart.y_of(value), label, value, extra))
    chart.polyline = " ".join(f"{x},{y}" for x, y, *_ in chart.points)
    return chart
