"""Bar charts drawn on the server as SVG: no script, no request to another host, nothing the CSP refuses.

Colours and sizes are SVG presentation attributes (`fill=`, `font-size=`), not `style=` attributes, which
`style-src 'self'` forbids. Text is drawn in `currentColor`, so it follows the page's (dark) theme. The SVG
carries its natural `width`/`height`; a page that wants it to shrink with the window adds
`.chart svg { max-width: 100%; height: auto; }` to its static stylesheet.

Each chart is a `<figure>` holding an `<svg role="img">` named by its `<title>` and summarised by its `<desc>`,
then a `<table>` of the same figures in a `visually-hidden` class (Django's admin and our site both define
it): a screen reader reads every number, not a picture of them.
"""

import itertools
import math
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

Number = Decimal | int | float

# Okabe–Ito: told apart by people with the common colour-vision deficiencies, and on light and dark pages.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]

HEIGHT = 320
PLOT_TOP = 48
PLOT_LEFT = 72
PLOT_RIGHT = 16
PLOT_BOTTOM = 250  # the zero line sits here or above it; labels hang below
MIN_WIDTH = 480
LEGEND_ENTRY = 120
_ids = itertools.count(1)


def bar_chart(points: list[tuple[str, Number]], *, title: str, unit: str = "") -> SafeString:
    """One bar per (label, value), e.g. revenue per day."""
    labels = [str(label) for label, _ in points]
    values = [value for _, value in points]
    series = [(unit or "Value", values)]
    return _chart(labels, series, title=title, unit=unit, legend=False)


def grouped_bar_chart(
    labels: list[str], series: list[tuple[str, list[Number]]], *, title: str, unit: str = ""
) -> SafeString:
    """One group per label, one bar per series in each group (a series' list follows `labels`)."""
    for name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")
    return _chart([str(label) for label in labels], series, title=title, unit=unit, legend=True)


def format_number(value: Number, unit: str = "") -> str:
    """1,234 · 1,234.50 (a Decimal keeps its places) · 12.5 (a float, at most two places); then the unit."""
    if isinstance(value, float):
        text = f"{value:,.2f}".rstrip("0").rstrip(".") if math.isfinite(value) else "–"
    else:
        text = f"{value:,}"
    return f"{text} {unit}" if unit else text


def _chart(labels: list[str], series: list[tuple[str, list[Number]]], *, title, unit, legend) -> SafeString:
    chart_id = f"chart-{next(_ids)}"
    numbers = [[_finite(value) for value in values] for _, values in series]
    flat = [value for values in numbers for value in values]
    whole = all(isinstance(value, int) for _, values in series for value in values)
    scale = _Scale(min(flat, default=0.0), max(flat, default=0.0), whole=whole)
    group_width = _group_width(len(labels), len(series) if legend else 0)
    width = max(MIN_WIDTH, round(PLOT_LEFT + PLOT_RIGHT + group_width * len(labels)))
    if legend:
        width = max(width, PLOT_LEFT + PLOT_RIGHT + LEGEND_ENTRY * len(series))
    svg = format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{id}-title {id}-desc" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="system-ui, sans-serif" font-size="12">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        '<text x="{left}" y="20" font-size="15" font-weight="bold" fill="currentColor">{title}</text>'
        "{legend}{grid}{bars}{axis}{empty}</svg>",
        id=chart_id,
        w=width,
        h=HEIGHT,
        left=PLOT_LEFT,
        title=title,
        desc=_summary(labels, series, unit),
        legend=_legend(series) if legend else "",
        grid=_grid(scale, width, unit),
        bars=_bars(labels, series, numbers, scale, group_width, unit),
        axis=_x_labels(labels, group_width),
        empty=_no_data(width) if not labels else "",
    )
    return format_html('<figure class="chart">{}{}</figure>', svg, _table(labels, series, title, unit))


def _group_width(groups: int, series: int) -> float:
    """Room per label: bars fill the chart's minimum width, within readable bounds (`series` 0: plain bars)."""
    narrowest, widest = (8.0 * series + 10, 20.0 * series + 16) if series else (18.0, 64.0)
    return max(narrowest, min(widest, (MIN_WIDTH - PLOT_LEFT - PLOT_RIGHT) / max(groups, 1)))


def _finite(value: Number) -> float:
    number = float(value)
    return number if math.isfinite(number) else 0.0


class _Scale:
    """From values to y pixels, on round ticks (1, 2 or 5 times a power of ten) that include zero."""

    def __init__(self, low: float, high: float, *, whole: bool = False):
        low, high = min(low, 0.0), max(high, 0.0)
        self.step = _round_step((high - low) / 4) if high > low else 1.0
        if whole:  # counts of people or orders: no tick at half a person
            self.step = max(self.step, 1.0)
        self.low = math.floor(low / self.step) * self.step
        self.high = max(math.ceil(high / self.step) * self.step, self.low + self.step)

    def y(self, value: float) -> float:
        return PLOT_BOTTOM - (value - self.low) / (self.high - self.low) * (PLOT_BOTTOM - PLOT_TOP)

    def ticks(self) -> list[float]:
        count = round((self.high - self.low) / self.step)
        return [self.low + index * self.step for index in range(count + 1)]


def _round_step(raw: float) -> float:
    power = 10 ** math.floor(math.log10(raw))
    return next(factor * power for factor in (1, 2, 5, 10) if factor * power >= raw)


def _tick_label(value: float, step: float, unit: str) -> str:
    shown = round(value) if step >= 1 else round(value, max(0, -math.floor(math.log10(step))))
    return format_number(shown if isinstance(shown, int) else float(shown), unit)


def _grid(scale: _Scale, width: int, unit: str) -> SafeString:
    rows = []
    for tick in scale.ticks():
        y = f"{scale.y(tick):.1f}"
        opacity = "0.6" if tick == 0 else "0.15"
        rows.append(
            (PLOT_LEFT, width - PLOT_RIGHT, y, y, opacity, PLOT_LEFT - 6, y, _tick_label(tick, scale.step, unit))
        )
    return format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="currentColor" stroke-opacity="{}"/>'
        '<text x="{}" y="{}" dy="4" text-anchor="end" fill="currentColor">{}</text>',
        rows,
    )


def _bars(labels, series, numbers, scale: _Scale, group_width: float, unit: str) -> SafeString:
    bar_width = (group_width - 6) / len(series)
    rows = []
    for group, label in enumerate(labels):
        for index, (name, values) in enumerate(series):
            top = scale.y(max(numbers[index][group], 0.0))
            bottom = scale.y(min(numbers[index][group], 0.0))
            rows.append(
                (
                    f"{PLOT_LEFT + group * group_width + 3 + index * bar_width:.1f}",
                    f"{top:.1f}",
                    f"{max(bar_width - 1, 1):.1f}",
                    f"{bottom - top:.1f}",
                    PALETTE[index % len(PALETTE)],
                    f"{label}, {name}: {format_number(values[group], unit)}"
                    if len(series) > 1
                    else f"{label}: {format_number(values[group], unit)}",
                )
            )
    return format_html_join("", '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>', rows)


def _x_labels(labels: list[str], group_width: float) -> SafeString:
    """Under each group; slanted when they would run into each other."""
    slanted = len(labels) > 12 or max((len(label) for label in labels), default=0) * 7 > group_width - 8
    y = PLOT_BOTTOM + 16
    rows = []
    for group, label in enumerate(labels):
        x = f"{PLOT_LEFT + (group + 0.5) * group_width:.1f}"
        turn = format_html(' transform="rotate(-45 {} {})"', x, y) if slanted else ""
        rows.append((x, y, "end" if slanted else "middle", turn, _shorten(label)))
    return format_html_join("", '<text x="{}" y="{}" text-anchor="{}"{} fill="currentColor">{}</text>', rows)


def _shorten(label: str, limit: int = 14) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _legend(series) -> SafeString:
    return format_html_join(
        "",
        '<rect x="{}" y="30" width="10" height="10" fill="{}"/><text x="{}" y="39" fill="currentColor">{}</text>',
        (
            (
                PLOT_LEFT + index * LEGEND_ENTRY,
                PALETTE[index % len(PALETTE)],
                PLOT_LEFT + index * LEGEND_ENTRY + 14,
                _shorten(name, 16),
            )
            for index, (name, _) in enumerate(series)
        ),
    )


def _no_data(width: int) -> SafeString:
    return format_html(
        '<text x="{}" y="{}" text-anchor="middle" fill="currentColor">No data</text>',
        (PLOT_LEFT + width - PLOT_RIGHT) // 2,
        (PLOT_TOP + PLOT_BOTTOM) // 2,
    )


def _summary(labels: list[str], series, unit: str) -> str:
    """What the chart shows, in a sentence: its size, and where each series peaks."""
    if not labels:
        return "No data."
    peaks = []
    for name, values in series:
        best = max(range(len(values)), key=lambda index: _finite(values[index]))
        peaks.append(f"{name} highest at {labels[best]} ({format_number(values[best], unit)})")
    return (
        f"{len(labels)} {'group' if len(series) > 1 else 'bar'}s, from {labels[0]} to {labels[-1]}. "
        + "; ".join(peaks)
        + "."
    )


def _table(labels: list[str], series, title: str, unit: str) -> SafeString:
    head = format_html_join("", '<th scope="col">{}</th>', ((name,) for name, _ in series))
    body = format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}</tr>',
        (
            (
                label,
                format_html_join("", "<td>{}</td>", ((format_number(values[row], unit),) for _, values in series)),
            )
            for row, label in enumerate(labels)
        ),
    )
    return format_html(
        '<table class="visually-hidden"><caption>{}</caption><thead><tr><td></td>{}</tr></thead>'
        "<tbody>{}</tbody></table>",
        title,
        head,
        body,
    )
