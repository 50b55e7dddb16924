"""The repair of OCR-damaged Vietnamese (issue 27): the syllable set, the channel, the language
model and the decoder — pure, on the shipped models."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.core.importing.documents import plan_from_text
from bot.core.importing.options import ImportOptions
from bot.core.repair import decoder
from bot.core.repair.channel import align_letters, channel
from bot.core.repair.decoder import measure, needs_repair, repair_text
from bot.core.repair.lm import decode, encode, language_model
from bot.core.repair.syllables import is_syllable, syllable_set
from tests.conftest import EXAMPLES
from tests.gold_scoring import title_syllables

HELD_BACK = ("ke-hoach-564-ban-dan-toc-2022",)  # kept out while the repair was built


def test_the_syllable_set_is_built_and_closed() -> None:
    words = syllable_set()
    assert 15_000 < len(words) < 30_000
    for word in ("công", "thương", "nghiêng", "quốc", "giữ", "gìn", "khuya", "hòa", "hoà", "thủy", "thuỷ", "Đắk"):
        assert is_syllable(word), word
    for word in ("each", "thirong", "chmnh", "sd", "tirpháp", "cách̉", "kong", "ghá"):
        assert not is_syllable(word), word
    assert not any(w.endswith(("c", "ch", "p", "t")) and any(t in w for t in "àảãằẳẵầẩẫèẻẽềểễìỉĩòỏõồổỗờởỡùủũừửữỳỷỹ") for w in words)


def test_letters_align_as_ocr_wrote_them() -> None:
    assert align_letters("thương", "thirong") == [("t", "t"), ("h", "h"), ("ư", "ir"), ("ơ", "o"), ("n", "n"), ("g", "g")]
    assert ("ở", "&") in align_letters("sở", "s&")
    assert align_letters("hoạch", "hoch")[2] == ("ạ", "")


def test_candidates_come_from_the_confusions() -> None:
    found = dict(channel().candidates("thirong"))
    assert "thương" in found
    assert "sở" in dict(channel().candidates("s&"))
    assert "địa" in dict(channel().candidates("dja"))
    assert "tỉnh" in dict(channel().candidates("tinh"))


@pytest.mark.parametrize(
    ("damaged", "clean"),
    [
        ("Kế hoạch của Sd Cong Thirong về cai each hanh chinh năm 2022", "Kế hoạch của Sở Công Thương về cải cách hành chính năm 2022"),
        ("UBND tinh Quáng Ngãi ban hành Kế hoạch", "UBND tỉnh Quảng Ngãi ban hành Kế hoạch"),
        ("Cal each hành chInh nhà niro'c tinh Quãng Tn nãm 2022", "Cải cách hành chính nhà nước tỉnh Quảng"),
        ("THUC HIEN NHIEM VU CAI CACH HANH CHINH", "THỰC HIỆN NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH"),
    ],
)
def test_damaged_text_is_repaired(damaged: str, clean: str) -> None:
    assert repair_text(damaged, force=True).startswith(clean)


def test_codes_numbers_and_abbreviations_are_kept() -> None:
    text = "Thuc hien Ke hoach so 34/KH-UBND ngay 03/3/2022 cua UBND tinh ve CCHC (PAR INDEX)"
    fixed = repair_text(text, force=True)
    for kept in ("34/KH-UBND", "03/3/2022", "UBND", "CCHC", "(PAR INDEX)"):
        assert kept in fixed
    assert fixed.startswith("Thực hiện Kế hoạch số 34/KH-UBND ngày 03/3/2022 của UBND tỉnh về CCHC")


def test_spacing_punctuation_and_lines_are_kept() -> None:
    text = "1. Muc dich,  yeu cau:\n- Tang cuong cong tac;\n\n  II. NOI DUNG\n"
    fixed = repair_text(text, force=True)
    assert fixed == "1. Mục đích,  yêu cầu:\n- Tăng cường công tác;\n\n  II. NỘI DUNG\n"


def test_list_markers_are_labels_not_words() -> None:
    """An item's letter ("b)", "c)", "đ)") is kept as written: read as a word it became "ở)" or
    "có)", and the reader no longer saw the plan's items (issue 27, scans read by `eng`)."""
    text = (
        "1. Cong an thanh pho\na) Tham muu tong hop tinh hinh.\nb) Chu tri, phoi hop voi cac so, ban, nganh\n"
        "c) Phoi hop voi cac co quan; d) Chi dao cac co so (e) va g),\n"
    )
    fixed = repair_text(text, force=True)
    assert [line[:3] for line in fixed.splitlines()] == ["1. ", "a) ", "b) ", "c) "]
    assert "; d) Chỉ đạo" in fixed and "g)," in fixed
    assert fixed.splitlines()[2] == "b) Chủ trì, phối hợp với các sở, ban, ngành"
    assert repair_text("V. CHE DO BAO CAO\nVI. TO CHUC THUC HIEN", force=True) == "V. CHẾ ĐỘ BÁO CÁO\nVI. TỔ CHỨC THỰC HIỆN"


def test_a_token_that_is_only_an_onset_gets_its_rime_back_from_the_sentence() -> None:
    """OCR may lose a syllable's vowels whole ("Sở Y t", "th hien"); a lowercase onset alone is
    offered the commonest syllables on it, and the language model picks (a capital alone, an
    initial, is not offered them)."""
    assert repair_text("S& Giáo diic và Dào tao, S& Y t chủ trì", force=True) == "Sở Giáo dục và Đào tạo, Sở Y tế chủ trì"
    assert repair_text("cac co quan, don vi th hien ke hoach", force=True) == "các cơ quan, đơn vị thực hiện kế hoạch"


def test_a_line_number_opens_its_item_and_a_misread_numeral_is_kept() -> None:
    """"1." alone at a line's start numbers an item: it is no word of the heading above (glued to
    it as "<num>", "TO CHUC THUC HIEN" stayed unrepaired). A Roman numeral as an OCR without
    Vietnamese writes it ("Vv.", "Iv.") before an upper-case heading is kept as written and read as
    the section's number: repaired to "Vũ.", the heading became a lead of the tasks under it."""
    raw = (
        "KE HOACH\nThuc hien cong tac cai cach hanh chinh nam 2025 cua tinh\n"
        "III. TO CHUC THUC HIEN\n1. So Noi vu\n- Chu tri trien khai ke hoach nay, bao cao ket qua truoc ngay 15/12/2025.\n"
        "2. So Tai chinh\n- Bo tri kinh phi thuc hien ke hoach theo quy dinh hien hanh.\n"
        "Vv. CHE DO BAO CAO\nCac so, ban, nganh bao cao ket qua thuc hien ve So Noi vu truoc ngay 10/12/2025 de tong hop.\n"
        "Iv. KINH PHI\nThuc hien theo khoan 1. Dieu 2 cua Thong tu.\n"
    )
    fixed = repair_text(raw, force=True)
    lines = fixed.splitlines()
    assert lines[2:4] == ["III. TỔ CHỨC THỰC HIỆN", "1. Sở Nội vụ"]
    assert "Vv. CHẾ ĐỘ BÁO CÁO" in lines and "Iv. KINH PHÍ" in lines
    assert lines[-1] == "Thực hiện theo khoản 1. Điều 2 của Thông tư."  # (mid-line: no item)
    plan = plan_from_text(fixed, ImportOptions(today=date(2025, 3, 1)))
    assert [task.lead for task in plan.tasks] == ["Sở Nội vụ", "Sở Tài chính", "Các sở, ban, ngành"]


def test_a_question_mark_inside_a_sentence_is_the_hook_of_a_letter() -> None:
    """An OCR without Vietnamese reads the hook of "ữ", "ử" as "?" ("git?" for "giữ"): where the
    sentence goes on after it, it is part of the word; a real question ends its sentence."""
    fixed = repair_text("Cac co quan phai st? dung tiet kiem kinh phi, git? vitng an ninh trat tu", force=True)
    assert fixed == "Các cơ quan phải sử dụng tiết kiệm kinh phí, giữ vững an ninh trật tự"
    assert repair_text("Vi sao? Cac don vi", force=True) == "Vì sao? Các đơn vị"


@pytest.mark.parametrize(
    ("damaged", "clean"),
    [
        ("Giao Cong an tinh theo doi, don doc viec thuc hien", "Giao Công an tỉnh theo dõi, đôn đốc việc thực hiện"),
        ("Day manh long ghep noi dung giao duc vao cac hoat dong", "Đẩy mạnh lồng ghép nội dung giáo dục vào các hoạt động"),
        ("Cong tac phong, chong ma tly tren dia ban", "Công tác phòng, chống ma túy trên địa bàn"),
        ("Cac so, nganh thu hien nghiem tuc ke hoach nay", "Các sở, ngành thực hiện nghiêm túc kế hoạch này"),
    ],
)
def test_a_rarer_syllable_is_weighed_where_a_neighbour_calls_for_it(damaged: str, clean: str) -> None:
    """"dõi", "lồng", "túy" are not among the likeliest readings of "doi", "long", "tly" by
    frequency alone; "theo", "ghép", "ma" call for them, so the sentence is offered them. An
    unmarked token may also have lost a letter ("thu" for "thực"), which "hiện" calls for."""
    assert repair_text(damaged, force=True) == clean


def test_the_search_looks_only_among_written_spellings() -> None:
    """Half of the closed set's folded spellings have no syllable anybody writes; the trie holds
    the others, and a token spelled exactly like an unwritten one is still weighed against it."""
    made = channel()
    written = language_model().ids

    searched, nodes = set(), [made.root]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.children.values())
        if node.word is not None:
            searched.add(node.word)
    assert searched and all(any(w in written for w in made.by_fold[key]) for key in searched)
    unwritten = next(key for key, words in made.by_fold.items() if not any(w in written for w in words))
    assert unwritten not in searched and made.candidates(unwritten)


def test_a_kept_trigram_always_has_its_bigram() -> None:
    """The decoder looks a trigram up only where its bigram is kept (the model is pruned so:
    a trigram needs more occurrences than a bigram)."""
    model = language_model()
    n = model.size
    assert all(key % (n * n) in model.bigrams for key in model.trigrams)


def _clean_files() -> list[Path]:
    files = [p for p in EXAMPLES.rglob("*") if p.is_file() and p.suffix in (".md", ".txt", ".json", ".jsonl", ".csv")]
    return sorted(p for p in files if not p.name.endswith(".ocr.txt"))


@pytest.mark.parametrize("path", _clean_files(), ids=lambda p: p.name)
def test_clean_text_is_left_byte_identical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not needs_repair(text), measure(text)
    assert repair_text(text) is text


def test_damaged_examples_are_detected() -> None:
    for path in sorted((EXAMPLES / "plans").glob("*.ocr.txt")):
        assert needs_repair(path.read_text(encoding="utf-8")), path.name
    assert needs_repair("Ke hoach cai cach hanh chinh nam 2022 cua so cong thuong tinh quang ngai " * 3)
    assert not needs_repair("The plan of the provincial people's committee for the year 2022 " * 3)


def _title_share(name: str) -> float:
    gold = json.loads((EXAMPLES / "gold" / f"{name}.gold.json").read_text(encoding="utf-8"))
    raw = (EXAMPLES / "plans" / f"{name}.ocr.txt").read_text(encoding="utf-8")
    today = date.fromisoformat(gold["signed"]) if gold.get("signed") else date(gold["year"], 1, 5)
    plan = plan_from_text(repair_text(raw), ImportOptions(today=today))
    right, total = title_syllables(gold["tasks"], plan.tasks)
    return right / total


@pytest.mark.parametrize("name", ["ke-hoach-272-skhcn-2022", "ke-hoach-so-cong-thuong-2022"])
def test_titles_of_ocr_damaged_plans_read_right(name: str) -> None:
    """Issue 27's target: ≥ 90 % of the title syllables exactly right, diacritics and all (17 %
    before the repair)."""
    assert _title_share(name) >= 0.9


def test_held_back_ocr_plan_is_reported_apart(capsys: pytest.CaptureFixture[str]) -> None:
    share = _title_share(HELD_BACK[0])
    with capsys.disabled():
        print(f"\nheld-back OCR'd plan: title syllables {share:.2f}")
    assert share >= 0.85


def test_the_language_model_round_trips_and_ships_small() -> None:
    vocab = ["<s>", "<unk>", "<num>", "kế", "hoạch"]
    blob = encode(vocab, [{3: -1.5, 4: -2.25}, {3 * 5 + 4: -0.5}, {(0 * 5 + 3) * 5 + 4: -0.125}], -9.0)
    model = decode(blob)
    assert model.score(0, 3, 4) == pytest.approx(-0.125)
    assert model.score(1, 3, 4) == pytest.approx(-0.5 + -0.916, abs=0.01)  # backs off to the bigram
    shipped = Path(decoder.__file__).parent / "data" / "lm.bin"
    assert shipped.stat().st_size < 5_000_000
    assert language_model().size > 5000


def test_the_build_script_makes_a_model_from_a_corpus(tmp_path: Path) -> None:
    import importlib.util

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("<<<doc a>>>\n" + "Kế hoạch cải cách hành chính năm 2022. Sở Nội vụ chủ trì.\n" * 20, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("build_repair_lm", Path(__file__).parent.parent / "benchmarks" / "tools" / "build_repair_lm.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "lm.bin"
    module.main([str(corpus), "--out", str(out)])
    model = decode(out.read_bytes())
    ids = model.ids
    assert model.score(ids["cải"], ids["cách"], ids["hành"]) > model.score(ids["cải"], ids["cách"], ids["vụ"])
    loose = tmp_path / "loose.bin"  # trigrams asked for below the bigrams' threshold: kept only with their bigram
    corpus.write_text(corpus.read_text(encoding="utf-8") + "Sở Tài chính phối hợp.\n" * 3, encoding="utf-8")
    module.main([str(corpus), "--out", str(loose), "--min-bigram", "5", "--min-trigram", "1"])
    model = decode(loose.read_bytes())
    n, ids = model.size, model.ids
    assert model.trigrams and all(key % (n * n) in model.bigrams for key in model.trigrams)
    assert (ids["tài"] * n + ids["chính"]) not in model.bigrams


def test_words_an_ocr_ran_together_are_cut_apart_and_nothing_else() -> None:
    from bot.core.repair.decoder import split_glued

    assert split_glued("Tên vănbản; Trung tâm Chuyển đổisố; ỦybanĐối ngoại") == "Tên văn bản; Trung tâm Chuyển đổi số; Ủy ban Đối ngoại"
    for kept in ("iPhone McDonald VinGroup Internet", "UBND tỉnh Đắk Lắk", "Số 12/KH-UBND"):
        assert split_glued(kept) is kept
