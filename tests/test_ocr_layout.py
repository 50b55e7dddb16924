"""OCR word boxes → the document model (issue 27 item 2): lines, paragraphs, ruled and unruled
tables, noise dropped. Pure: made-up boxes in, blocks out."""

from __future__ import annotations

from bot.core.importing.blocks import TABLE
from bot.core.importing.ocr_layout import OcrPage, OcrWord, grids, page_blocks, parse_tsv, physical_lines


def words_of(line: str, top: int, left: int = 100, height: int = 40, gap: int = 15) -> list[OcrWord]:
    out, x = [], left
    for text in line.split():
        width = 20 * len(text)
        out.append(OcrWord(text, x, top, width, height, 95.0))
        x += width + gap
    return out


def test_tesseract_tsv_is_parsed_and_bars_stripped() -> None:
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t\n"
        "5\t1\t1\t1\t1\t1\t100\t200\t80\t40\t96.5\tKế\n"
        "5\t1\t1\t1\t1\t2\t190\t200\t120\t40\t95.1\t|hoạch\n"
        "5\t1\t1\t1\t1\t3\t400\t200\t10\t40\t20.0\t|\n"
    )
    words = parse_tsv(tsv)
    assert [w.text for w in words] == ["Kế", "hoạch"]
    assert words[1].left == 190 and words[1].confidence == 95.1


def test_a_two_column_header_is_one_line_as_in_a_text_layer() -> None:
    left = words_of("UBND TỈNH QUẢNG NGÃI", 100)
    right = words_of("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 104, left=1200)
    lines = physical_lines(right + left)
    assert [line.text() for line in lines] == ["UBND TỈNH QUẢNG NGÃI CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]


def test_paragraphs_numbering_and_noise() -> None:
    words = (
        words_of("1. Sở Nội vụ chủ trì tổng hợp báo cáo", 100)
        + words_of("kết quả trước ngày 15/12/2022.", 150)
        + words_of("2. Sở Tư pháp rà soát văn bản.", 260)
        + [OcrWord("~", 900, 400, 12, 12, 5.0), OcrWord("..", 950, 420, 10, 8, 3.0)]  # specks of a stamp
        + words_of("- 3 -", 3000, left=1200)  # a page number
    )
    blocks = page_blocks(OcrPage(tuple(words)), 2)
    assert [b.text for b in blocks] == [
        "1. Sở Nội vụ chủ trì tổng hợp báo cáo kết quả trước ngày 15/12/2022.",
        "2. Sở Tư pháp rà soát văn bản.",
    ]
    assert blocks[0].source == "trang 2, dòng 1"


def test_a_ruled_table_is_read_cell_by_cell() -> None:
    # columns at x = 100 | 200 | 900 | 1300 | 1700, rows at y = 500 | 560 | 700 | 800
    down = tuple((x, 500, 800) for x in (100, 200, 900, 1300, 1700))
    across = tuple((y, 100, 1700) for y in (500, 560, 700, 800))
    words = (
        words_of("TT", 510, left=110)
        + words_of("Nội dung", 510, left=210)
        + words_of("Chủ trì", 510, left=910)
        + words_of("Thời gian", 510, left=1310)
        + words_of("1", 570, left=110)
        + words_of("Rà soát thủ tục", 570, left=210)
        + words_of("hành chính", 620, left=210)  # the cell wraps onto a second line
        + words_of("Sở Tư pháp", 570, left=910)
        + words_of("Quý II/2022", 570, left=1310)
        + words_of("2", 710, left=110)
        + words_of("Báo cáo", 710, left=210)
        + words_of("Sở Nội vụ", 710, left=910)
        + words_of("Tháng 12", 710, left=1310)
        + words_of("Nơi nhận:", 900)
    )
    page = OcrPage(tuple(words), across, down)
    assert len(grids(page)) == 1
    blocks = page_blocks(page, 1)
    table = next(b for b in blocks if b.kind == TABLE)
    assert table.rows == [
        ["TT", "Nội dung", "Chủ trì", "Thời gian"],
        ["1", "Rà soát thủ tục hành chính", "Sở Tư pháp", "Quý II/2022"],
        ["2", "Báo cáo", "Sở Nội vụ", "Tháng 12"],
    ]
    assert blocks[-1].text == "Nơi nhận:"


def test_an_unruled_table_is_cut_at_wide_gaps() -> None:
    words = []
    for n, (title, lead, when) in enumerate(
        [("Nội dung", "Chủ trì", "Thời gian"), ("Rà soát văn bản", "Sở Tư pháp", "Quý II"), ("Báo cáo", "Sở Nội vụ", "Tháng 12")]
    ):
        top = 300 + 60 * n
        words += words_of("1" if n else "TT", top) + words_of(title, top, left=300)
        words += words_of(lead, top, left=900) + words_of(when, top, left=1400)
    blocks = page_blocks(OcrPage(tuple(words)), 1)
    assert blocks[0].kind == TABLE
    assert blocks[0].rows[1] == ["1", "Rà soát văn bản", "Sở Tư pháp", "Quý II"]


def test_a_paragraph_running_over_a_page_break_is_one_paragraph() -> None:
    """As in a PDF's text layer: the next page's first line continues the page's last paragraph
    unless it starts an item; split, the task's title stopped at the page's last word."""
    from bot.core.importing.scanned import read_scanned

    first = OcrPage(tuple(words_of("- Đẩy mạnh tập huấn, học tập mô hình sản xuất phù hợp với điều kiện của", 3000)))
    second = OcrPage(
        tuple(
            words_of("tỉnh; tiếp tục thành lập mới các hợp tác xã.", 200)
            + words_of("- Phối hợp với các sở, ngành tổ chức hội chợ.", 250)
        )
    )
    third = OcrPage(tuple(words_of("- Thường xuyên nắm bắt khó khăn của doanh nghiệp.", 200)))
    blocks = read_scanned({1: first, 2: second, 3: third}).blocks
    assert [b.text for b in blocks[1]] == [
        "- Đẩy mạnh tập huấn, học tập mô hình sản xuất phù hợp với điều kiện của tỉnh; tiếp tục thành lập mới các hợp tác xã."
    ]
    assert [b.text for b in blocks[2]] == ["- Phối hợp với các sở, ngành tổ chức hội chợ."]
    assert [b.text for b in blocks[3]] == ["- Thường xuyên nắm bắt khó khăn của doanh nghiệp."]  # an item starts it


def test_a_wider_gap_before_a_line_that_goes_on_with_the_sentence_is_no_new_paragraph() -> None:
    """A line of short letters ("quan:") has a lower top, so its gap looks wide; it still goes
    on with the unfinished sentence above it. After a finished sentence the gap still counts."""
    words = (
        words_of("Chủ trì, phối hợp với các cơ quan, đơn vị có liên", 100)
        + words_of("quan:", 185)  # gap 45 > 0.9 × 40
        + words_of("Triển khai thực hiện các chính sách.", 240)
        + words_of("Tập trung cao cho việc xây dựng.", 325)
    )
    blocks = page_blocks(OcrPage(tuple(words)), 1)
    assert [b.text for b in blocks] == [
        "Chủ trì, phối hợp với các cơ quan, đơn vị có liên quan: Triển khai thực hiện các chính sách.",
        "Tập trung cao cho việc xây dựng.",
    ]


def test_a_short_word_read_without_confidence_is_kept_when_it_stands_as_tall_as_the_text() -> None:
    """Bold "Sở" is often read at almost no confidence ("Sé" 6 %): as tall as the page's text it
    is a word, and "1. Sở Công Thương" keeps its agency; a speck of the same confidence, far
    smaller than the text, is still dropped."""
    words = (
        words_of("Kế hoạch xuất khẩu nông sản của tỉnh giai đoạn 2026 - 2030.", 100)
        + words_of("1.", 200)
        + [OcrWord("Sé", 160, 200, 40, 40, 6.0), OcrWord("ti", 900, 210, 10, 12, 4.0)]
        + words_of("Công Thương", 200, left=215)
        + words_of("a) Chủ trì, phối hợp với các sở, ban, ngành.", 300)
    )
    texts = [b.text for b in page_blocks(OcrPage(tuple(words)), 1)]
    assert "1. Sé Công Thương" in texts, texts
    assert not any("ti" in text.split() for text in texts)
