"""/help: the command list and example questions, in the asker's language."""

from __future__ import annotations

from bot.core.i18n import _
from bot.core.markup import esc
from bot.core.replies import Reply


def command_descriptions() -> list[tuple[str, str]]:
    """For /help and Telegram's setMyCommands (in the current language)."""
    return [
        ("viec", _("Việc của tôi")),
        ("quahan", _("Việc quá hạn")),
        ("sapden", _("Việc sắp đến hạn (7 ngày tới)")),
        ("xong", _("Đánh dấu một việc đã xong")),
        ("dangthuchien", _("Báo một việc đang thực hiện")),
        ("giahan", _("Xin gia hạn một việc")),
        ("chuaxong", _("Hoàn tác việc đã đánh dấu xong (24 giờ)")),
        ("baocao", _("Báo cáo tổng hợp (lãnh đạo)")),
        ("xuat", _("Xuất báo cáo Excel (lãnh đạo)")),
        ("web", _("Trang tổng hợp trên trình duyệt (liên kết dùng một lần)")),
        ("nhacnho", _("Cài đặt nhắc việc của tôi")),
        ("import", _("Nhập kế hoạch (quản trị)")),
        ("kehoach", _("Các kế hoạch: lưu trữ, khôi phục (quản trị)")),
        ("moi", _("Tạo liên kết mời cán bộ (quản trị)")),
        ("lienket", _("Liên kết nhóm chat với cơ quan")),
        ("id", _("Mã tài khoản của tôi")),
        ("lang", _("Đổi ngôn ngữ (vi/en)")),
        ("help", _("Hướng dẫn")),
        ("start", _("Bắt đầu")),
    ]


def help_reply() -> Reply:
    lines = ["<b>" + _("Nhắc Việc — các lệnh") + "</b>"]
    lines += [f"/{name} — {esc(text)}" for name, text in command_descriptions()]
    lines.append("")
    lines.append(_("Hoặc hỏi bằng lời, ví dụ:"))
    lines += [f"• {esc(x)}" for x in examples()]
    return Reply(lines)


def examples() -> list[str]:
    return [
        _("việc của Văn phòng Sở tháng này"),
        _("Sở Tư pháp có việc gì quá hạn?"),
        _("ai chủ trì chữ ký số?"),
    ]
