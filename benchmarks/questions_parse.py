"""Median time of `parse_question` with a directory of 1,000 generated agencies.

Run: /tmp/venv/bin/python benchmarks/questions_parse.py
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date

from bot.core.domain import AgencyRecord
from bot.core.lang.agencies import Directory
from bot.core.lang.questions import parse_question

SYLLABLES = (
    "an binh son tinh duc pho minh long nghia hanh mo ba to tra bong tay ly quang ngai hoa "
    "phuoc thanh tan dong giang hai chau lien phu my thuan tien loc vinh khanh xuan"
).split()
FIELDS = [
    "Tài nguyên và Môi trường",
    "Nội vụ",
    "Tư pháp",
    "Tài chính",
    "Y tế",
    "Xây dựng",
    "Công Thương",
    "Thông tin và Truyền thông",
    "Kế hoạch và Đầu tư",
    "Khoa học và Công nghệ",
    "Giao thông vận tải",
    "Lao động - Thương binh và Xã hội",
    "Văn hóa, Thể thao và Du lịch",
    "Giáo dục và Đào tạo",
    "Nông nghiệp và Phát triển nông thôn",
    "Ngoại vụ",
]
UNITS = [
    "Văn phòng Sở",
    "Thanh tra Sở",
    "Phòng Kế hoạch - Tài chính",
    "Phòng Tổ chức cán bộ",
    "Chi cục Thủy lợi",
]
QUESTIONS = [
    "viec cua van phong so thang nay",
    "STTTT tháng 3",
    "Sở KH&ĐT có nhiệm vụ gì",
    "tuần sau tôi có việc gì",
    "ai chủ trì chữ ký số?",
    "Sở LĐ-TB&XH có việc gì quá hạn",
    "SVHTTDL tháng 8",
    "so tai nguyen moi truong nam nay",
    "Sở Ngoại giao quý 3",
    "UBND huyen Binh Son sap den han",
    "cac viec ve ISO 9001",
    "Phòng Tổ chức cán bộ Sở Y tế từ 1/3 đến 15/3",
]


def build(count: int = 1000, seed: int = 7) -> Directory:
    rng = random.Random(seed)
    records: list[AgencyRecord] = []
    next_id = 1
    for name in FIELDS:
        sid = next_id
        records.append(AgencyRecord(sid, f"Sở {name}"))
        next_id += 1
        for unit in UNITS:
            records.append(AgencyRecord(next_id, unit, sid))
            next_id += 1
    while len(records) < count:
        place = " ".join(rng.sample(SYLLABLES, 2)).title()
        kind = rng.choice(
            ["UBND huyện", "UBND xã", "Trung tâm Y tế huyện", "Phòng Giáo dục huyện", "Công an xã"]
        )
        records.append(AgencyRecord(next_id, f"{kind} {place}"))
        next_id += 1
    return Directory(records)


def main() -> None:
    started = time.perf_counter()
    directory = build()
    built = time.perf_counter() - started
    asker = directory.resolve("Sở Công Thương").agency_id
    today = date(2022, 5, 10)
    timings = []
    for _ in range(30):
        for text in QUESTIONS:
            t0 = time.perf_counter()
            parse_question(text, today=today, directory=directory, asker_id=asker)
            timings.append((time.perf_counter() - t0) * 1e6)
    long_text = "việc của Sở Tư pháp " + "rất dài " * 1500
    t0 = time.perf_counter()
    parse_question(long_text, today=today, directory=directory, asker_id=asker)
    long_us = (time.perf_counter() - t0) * 1e6
    print(f"agencies: {len(directory)}  build: {built * 1000:.0f} ms")
    print(
        f"parse_question median: {statistics.median(timings):.0f} µs  p95: {sorted(timings)[int(len(timings) * 0.95)]:.0f} µs"
    )
    print(f"12,000-character question: {long_us:.0f} µs")


if __name__ == "__main__":
    main()
