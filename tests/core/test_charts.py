"""The SVG charts (issue 15): escaped, drawn to scale, readable as a table, and never a division by zero.

The output is well-formed XML, so the tests read it as a tree rather than matching strings.
"""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils.safestring import SafeString

from core.charts import PLOT_BOTTOM, PLOT_TOP, bar_chart, format_number, grouped_bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def _tree(html: str) -> ET.Element:
    return ET.fromstring(html)  # noqa: S314 -- our own output, in a test


def _bars(figure: ET.Element) -> list[ET.Element]:
    return [rect for rect in figure.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]


def _table_rows(figure: ET.Element) -> list[list[str]]:
    table = figure.find("table")
    return [[cell.text or "" for cell in row] for row in table.iter("tr")]


def test_issue15_chart_is_a_figure_with_a_labelled_svg_and_a_hidden_table():
    html = bar_chart([("Mon", 3), ("Tue", 5)], title="Orders per day")
    assert isinstance(html, SafeString)
    figure = _tree(html)
    assert figure.tag == "figure"
    svg = figure.find(f"{SVG}svg")
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id
    assert svg.find(f"{SVG}title").text == "Orders per day"
    desc = svg.find(f"{SVG}desc")
    assert desc.get("id") == desc_id
    assert desc.text == "2 bars, from Mon to Tue. Value highest at Tue (5)."
    assert figure.find("table").get("class") == "visually-hidden"
    assert "style=" not in html  # the CSP (style-src 'self') refuses inline style attributes


def test_issue15_two_charts_on_a_page_have_different_ids():
    first = _tree(bar_chart([("a", 1)], title="One")).find(f"{SVG}svg").get("aria-labelledby")
    second = _tree(bar_chart([("a", 1)], title="One")).find(f"{SVG}svg").get("aria-labelledby")
    assert first != second


def test_issue15_every_text_is_escaped():
    evil = '<script>alert("x")</script>&'
    html = grouped_bar_chart([evil], [(evil, [1])], title=evil, unit=evil)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    figure = _tree(html)  # still well-formed: nothing broke out of an attribute or element
    assert figure.find(f"{SVG}svg/{SVG}title").text == evil
    assert _table_rows(figure)[1][0] == evil


def test_issue15_table_holds_the_same_figures_as_the_bars():
    points = [("1 Nov", Decimal("120.50")), ("2 Nov", Decimal("0.00")), ("3 Nov", Decimal("1234.00"))]
    figure = _tree(bar_chart(points, title="Revenue", unit="EUR"))
    assert _table_rows(figure) == [
        ["", "EUR"],
        ["1 Nov", "120.50 EUR"],
        ["2 Nov", "0.00 EUR"],
        ["3 Nov", "1,234.00 EUR"],
    ]
    assert [bar.find(f"{SVG}title").text for bar in _bars(figure)] == [
        "1 Nov: 120.50 EUR",
        "2 Nov: 0.00 EUR",
        "3 Nov: 1,234.00 EUR",
    ]


def test_issue15_grouped_table_has_a_column_per_series():
    figure = _tree(grouped_bar_chart(["L1", "L2"], [("Sent", [10, 8]), ("Clicked", [4, 1])], title="Lessons"))
    assert _table_rows(figure) == [["", "Sent", "Clicked"], ["L1", "10", "4"], ["L2", "8", "1"]]
    assert len(_bars(figure)) == 4
    legend = [text.text for text in figure.iter(f"{SVG}text")]
    assert "Sent" in legend and "Clicked" in legend


def test_issue15_bars_are_drawn_to_scale():
    figure = _tree(bar_chart([("a", 10), ("b", 5), ("c", 0)], title="Scale"))
    heights = [float(bar.get("height")) for bar in _bars(figure)]
    assert heights[0] == pytest.approx(2 * heights[1], abs=0.2)
    assert heights[2] == 0
    assert heights[0] == pytest.approx(PLOT_BOTTOM - PLOT_TOP)  # 10 is the top tick: the bar fills the plot
    ticks = [text.text for text in figure.iter(f"{SVG}text") if text.get("text-anchor") == "end"]
    assert ticks == ["0", "5", "10"]


def test_issue15_axis_ticks_are_round_numbers_above_the_highest_value():
    figure = _tree(bar_chart([("a", 1234)], title="Round", unit="EUR"))
    ticks = [text.text for text in figure.iter(f"{SVG}text") if text.get("text-anchor") == "end"]
    assert ticks == ["0 EUR", "500 EUR", "1,000 EUR", "1,500 EUR"]


def test_issue15_whole_numbers_get_whole_ticks():
    figure = _tree(bar_chart([("a", 1), ("b", 0)], title="People"))
    ticks = [text.text for text in figure.iter(f"{SVG}text") if text.get("text-anchor") == "end"]
    assert ticks == ["0", "1"]


def test_issue15_fractions_get_fractional_ticks():
    figure = _tree(bar_chart([("a", 0.3)], title="Rate", unit="%"))
    ticks = [text.text for text in figure.iter(f"{SVG}text") if text.get("text-anchor") == "end"]
    assert ticks == ["0 %", "0.1 %", "0.2 %", "0.3 %"]


@pytest.mark.parametrize(
    "html",
    [
        bar_chart([], title="Nothing yet"),
        bar_chart([("a", 0), ("b", 0)], title="All zero"),
        grouped_bar_chart([], [("Sent", [])], title="No lessons"),
        grouped_bar_chart(["a"], [("Sent", [0]), ("Clicked", [0])], title="Zero"),
    ],
)
def test_issue15_empty_or_zero_data_renders(html):
    figure = _tree(html)
    assert figure.find(f"{SVG}svg") is not None
    assert all(float(bar.get("height")) == 0 for bar in _bars(figure))


def test_issue15_empty_chart_says_so():
    figure = _tree(bar_chart([], title="Nothing yet"))
    assert figure.find(f"{SVG}svg/{SVG}desc").text == "No data."
    assert "No data" in [text.text for text in figure.iter(f"{SVG}text")]
    assert _table_rows(figure) == [["", "Value"]]


def test_issue15_negative_values_hang_below_zero():
    figure = _tree(bar_chart([("refunds", -5), ("sales", 10)], title="Net"))
    refunds, sales = _bars(figure)
    assert float(refunds.get("y")) == pytest.approx(float(sales.get("y")) + float(sales.get("height")), abs=0.2)


def test_issue15_a_series_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        grouped_bar_chart(["a", "b", "c"], [("Sent", [1, 2])], title="Bad")


def test_issue15_many_labels_are_slanted():
    figure = _tree(bar_chart([(f"day {n}", n) for n in range(30)], title="Month"))
    labels = [text for text in figure.iter(f"{SVG}text") if (text.text or "").startswith("day ")]
    assert len(labels) == 30
    assert all(label.get("transform", "").startswith("rotate(-45") for label in labels)


def test_issue15_format_number():
    assert format_number(1234) == "1,234"
    assert format_number(Decimal("1234.50"), "EUR") == "1,234.50 EUR"
    assert format_number(12.5, "%") == "12.5 %"
    assert format_number(12.0) == "12"
    assert format_number(float("nan")) == "–"
