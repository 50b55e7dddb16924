"""The `nhacviec` command line (DESIGN.md, "The command line").

Every command prints a clear one-line reason on stderr and exits 1 when it cannot do its job;
no traceback ever reaches the user (set NHACVIEC_DEBUG=1 to see one).

Each command imports the layers it runs inside its own function: loading the whole bot
(python-telegram-bot, SQLAlchemy, Starlette) takes 2–3 s, which `nhacviec deadline` in a
script, or `--help`, should not pay (this module alone imports in about 0.3 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pydantic import ValidationError

from bot.core.access import Action, Target
from bot.core.address import Address
from bot.core.domain import ImportRefused, Role, UserError
from bot.core.i18n import _, set_default_language
from bot.core.text import fold
from bot.logs import configure as configure_logging
from bot.settings import Settings, parse_web_url, settings_error

if TYPE_CHECKING:
    from bot.core.lang.agencies import Directory
    from handlers.context import AppContext
    from handlers.results import Actor
    from storage.plans import PlanRecord

log = logging.getLogger("nhacviec")


# -- helpers --------------------------------------------------------------------------------


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            _("ngày không hợp lệ: {value} (cần YYYY-MM-DD)").format(value=value)
        ) from exc


def _period(value: str) -> tuple[int, int]:
    first, _sep, last = value.replace("–", "-").partition("-")
    try:
        years = int(first), int(last or first)
    except ValueError:
        years = (0, -1)
    if not (1900 <= years[0] <= years[1] <= years[0] + 20):
        raise argparse.ArgumentTypeError(
            _("giai đoạn không hợp lệ: {value} (cần YYYY-YYYY)").format(value=value)
        )
    return years


def _datetime(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            _("thời điểm không hợp lệ: {value} (cần YYYY-MM-DDTHH:MM)").format(value=value)
        ) from exc


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def _address(value: str) -> Address:
    try:
        return Address(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            _("tài khoản không hợp lệ: {value} (cần telegram:123 hoặc zalo:abc)").format(value=value)
        ) from exc


def _json_lines(stream: IO[str]) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    """Yield (line number, object, error or None) for each non-empty input line ({} on an error)."""
    for number, line in enumerate(stream, 1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            yield number, {}, _("dòng {n}: không phải JSON").format(n=number)
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text", ""), str):
            yield number, {}, _('dòng {n}: cần một đối tượng JSON có khoá "text"').format(n=number)
            continue
        yield number, obj, None


async def _context(args: argparse.Namespace) -> AppContext:
    from handlers.context import AppContext
    from storage import Storage

    settings: Settings = args.settings
    url = args.db or settings.nhacviec_db
    try:
        storage = await Storage.open(url, redact=settings.redactor())
    except Exception as exc:
        raise UserError(
            _("Không mở được cơ sở dữ liệu {url}: {error}").format(url=_safe_url(url), error=_first_line(exc))
        ) from exc
    return AppContext(storage=storage, settings=settings)


def _safe_url(url: str) -> str:
    """Hide a password in a database URL before showing it."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<URL>"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else exc.__class__.__name__


# -- commands -------------------------------------------------------------------------------


def _ocr_progress(page: int, pages: int) -> None:
    """A scan's progress on stderr (stdout stays the result, --json included)."""
    print(_("Đang nhận dạng chữ: trang {page}/{pages}").format(page=page, pages=pages), file=sys.stderr, flush=True)


async def cmd_import(args: argparse.Namespace) -> int:
    from bot.core.importing.options import ImportOptions
    from handlers.importing import parse_file, placement_line, save_parsed

    path = Path(args.file)
    if not path.is_file():
        raise UserError(_("Không tìm thấy tệp: {path}").format(path=args.file))
    settings: Settings = args.settings
    size = path.stat().st_size
    if size > settings.max_file_bytes:
        raise ImportRefused(
            _("Tệp quá lớn ({size:.1f} MB, tối đa {limit:.0f} MB).").format(
                size=size / 1024 / 1024, limit=settings.max_file_bytes / 1024 / 1024
            )
        )
    data = path.read_bytes()
    ctx = await _context(args)
    try:
        options = ImportOptions(
            today=ctx.today(),
            issuer=args.issuer,
            plan=args.plan,
            year=args.year,
            period=args.period,  # the admin's fact wins, like --year (issue 17)
            dry_run=args.dry_run,
        )
        parsed = await parse_file(ctx, data, path.name, options, progress=_ocr_progress)
        if not parsed.tasks:
            raise ImportRefused(_("Không tìm thấy nhiệm vụ nào trong tệp."))
        matches: dict[str, str] = {}
        for item in args.match or ():
            written, sep, target = item.partition("=")
            if not sep or not written.strip() or not target.strip():
                raise UserError(_("--match phải có dạng “tên như trong kế hoạch=cơ quan”"))
            matches[written.strip()] = target.strip()
        try:
            report = await save_parsed(ctx, parsed, options.with_matches(matches))
        except ValueError as exc:
            raise UserError(str(exc)) from exc
    finally:
        await ctx.storage.close()
    if args.json:
        print(_dump(report.as_json()))
        return 0
    out = report.as_json()
    print(
        (_("Xem trước (chưa ghi gì): ") if args.dry_run else _("Đã nhập: "))
        + _("{n} nhiệm vụ — kế hoạch {plan}, cơ quan ban hành {issuer}, năm {year}").format(
            n=len(out["tasks"]),
            plan=out["plan"] or _("chưa rõ"),
            issuer=out["issuer"] or _("chưa rõ"),
            year=out["year"] or _("chưa rõ"),
        )
    )
    print(
        _("Thêm {a}, cập nhật {u}, bỏ {r} nhiệm vụ.").format(
            a=out["added"], u=out["updated"], r=out["removed"]
        )
    )
    for task in out["tasks"]:
        dates = ", ".join(date.fromisoformat(d).strftime("%d/%m/%Y") for d in task["dates"]) or task["kind"]
        print(f"  [{task['source']}] {task['title'][:100]} — {task['lead'] or '?'} — {dates}")
    for name in out["names"]:
        print("  " + placement_line(name))
    if out["agencies"]:
        print(_("Cơ quan mới: {names}").format(names="; ".join(out["agencies"])))
    for warning in out["warnings"]:
        print(_("Cảnh báo: {w}").format(w=warning))
    for error in out["errors"]:
        print(_("Lỗi: {e}").format(e=error))
    return 0


async def cmd_deadline(args: argparse.Namespace) -> int:
    from bot.core.lang.deadlines import deadline_json, parse_deadline

    settings: Settings = args.settings
    quarter_day = settings.quarter_report_day

    def answer(text: str, today: date) -> dict[str, Any]:
        return deadline_json(parse_deadline(text, today=today, quarter_day=quarter_day))

    default_today = args.today or date.today()
    if args.text == "-":
        for number, obj, error in _json_lines(sys.stdin):
            if error:
                print(_dump({"line": number, "error": error}), flush=True)
                continue
            try:
                today = date.fromisoformat(obj["today"]) if obj.get("today") else default_today
            except (TypeError, ValueError):
                print(_dump({"line": number, "error": _("ngày không hợp lệ")}), flush=True)
                continue
            print(_dump(answer(obj.get("text", ""), today)), flush=True)
        return 0
    result = answer(args.text, default_today)
    if args.json:
        print(_dump(result))
    else:
        dates = ", ".join(date.fromisoformat(d).strftime("%d/%m/%Y") for d in result["dates"])
        print(f"{result['kind']}: {dates or '—'}")
    return 0


async def cmd_ask(args: argparse.Namespace) -> int:
    # Here, not at the top: it brings storage and SQLAlchemy (~1 s), which other commands never need.
    from handlers.ask import UnknownAgency, answer_question

    ctx = await _context(args)
    try:
        if args.text == "-":
            for number, obj, error in _json_lines(sys.stdin):
                if error:
                    print(_dump({"line": number, "error": error}), flush=True)
                    continue
                try:
                    today = date.fromisoformat(obj["today"]) if obj.get("today") else ctx.today()
                    result = await answer_question(
                        ctx, obj.get("text", ""), agency=obj.get("agency"), today=today
                    )
                except UnknownAgency as exc:
                    result = {"line": number, "error": _first_line(exc), "suggestions": exc.suggestions}
                except (TypeError, ValueError) as exc:
                    result = {"line": number, "error": _first_line(exc)}
                print(_dump(result), flush=True)
            return 0
        try:
            result = await answer_question(
                ctx, args.text, agency=args.agency, today=args.today or ctx.today()
            )
        except UnknownAgency as exc:
            raise UserError(str(exc)) from exc
    finally:
        await ctx.storage.close()
    print(_dump(result) if args.json else result["reply_text"])
    return 0


async def cmd_user(args: argparse.Namespace) -> int:
    ctx = await _context(args)
    try:
        st = ctx.storage
        if args.user_command == "add":
            if args.account.channel not in ("telegram", "zalo"):
                raise UserError(_("Tài khoản phải có dạng telegram:123 hoặc zalo:abc"))
            try:
                role = Role(args.role)
            except ValueError as exc:
                raise UserError(_("Vai trò phải là officer, manager hoặc admin")) from exc
            agency_id = await _resolve_agency(ctx, args.agency)
            user = await st.upsert_user(
                args.account, agency_id=agency_id, role=role, approved=True, active=True
            )
            names = {a.id: a.name for a in await st.agencies()}
            print(
                _("Đã thêm {account} — {agency} — {role}").format(
                    account=user.address, agency=names.get(agency_id, ""), role=role.value
                )
            )
        elif args.user_command == "list":
            names = {a.id: a.name for a in await st.agencies()}
            users = await st.users()
            if args.json:
                print(
                    _dump(
                        [
                            {
                                "account": u.address,
                                "agency": names.get(u.agency_id) if u.agency_id is not None else None,
                                "role": u.role,
                                "approved": u.approved,
                                "active": u.active,
                            }
                            for u in users
                        ]
                    )
                )
            for u in users if not args.json else []:
                state = _("đã duyệt") if u.approved else _("chờ duyệt")
                if not u.active:
                    state += ", " + _("ngừng nhận")
                agency = names.get(u.agency_id, "—") if u.agency_id is not None else "—"
                print(f"{u.address}\t{agency}\t{u.role}\t{state}")
            if not users and not args.json:
                print(_("Chưa có người dùng nào."))
        elif args.user_command == "remove":
            if not await st.remove_user(args.account):
                raise UserError(_("Không có tài khoản {account}").format(account=args.account))
            print(_("Đã xoá {account}").format(account=args.account))
    finally:
        await ctx.storage.close()
    return 0


async def _resolve_agency(ctx: AppContext, name: str) -> int:
    directory = await ctx.directory()
    hit = directory.resolve(name)
    if hit.agency_id is not None:
        return hit.agency_id
    if hit.suggestions:
        raise UserError(
            _("Không tìm thấy cơ quan “{name}”. Có phải: {suggestions}?").format(
                name=name, suggestions="; ".join(hit.suggestions[:3])
            )
        )
    # A new deployment has no plan yet: the first users create their agencies.
    return await ctx.storage.add_agency(name)


def _existing_agency(directory: Directory, name: str) -> int:
    """An agency an admin names: any name the directory resolves, or "#ID"; else an error."""
    if name.startswith("#") and name[1:].isdigit() and int(name[1:]) in directory:
        return int(name[1:])
    hit = directory.resolve(name)
    if hit.agency_id is not None:
        return hit.agency_id
    message = _("Không tìm thấy cơ quan “{name}”.").format(name=name)
    suggestions = hit.suggestions or directory.suggest(name)
    if suggestions:
        message += " " + _("Có phải: {names}?").format(names="; ".join(suggestions[:3]))
    raise UserError(message)


def _tree_lines(directory: Directory, parent: int | None = None, depth: int = 0) -> Iterator[str]:
    for agency_id in directory.children(parent):
        record = directory.record(agency_id)
        if record is None:
            continue
        extra = f"  [{', '.join(record.aliases)}]" if record.aliases else ""
        yield f"{'    ' * depth}{record.name}  #{agency_id}{extra}"
        if depth < 20:
            yield from _tree_lines(directory, agency_id, depth + 1)


async def cmd_agency(args: argparse.Namespace) -> int:
    """`agency alias|list|rename|move|seed|merge`: one function a subcommand."""
    ctx = await _context(args)
    try:
        directory = await ctx.directory()
        command = args.agency_command
        if command == "list":
            command = "list_json" if args.json else "list_tree" if args.tree else "list"
        await _AGENCY_COMMANDS[command](ctx, directory, args)
    finally:
        await ctx.storage.close()
    return 0


async def _agency_alias(ctx: AppContext, directory: Directory, args: argparse.Namespace) -> None:
    hit = directory.resolve(args.name)
    if hit.agency_id is None:
        raise UserError(_("Không tìm thấy cơ quan “{name}”.").format(name=args.name))
    await ctx.storage.add_alias(hit.agency_id, args.alias)
    print(
        _("Đã thêm tên gọi khác “{alias}” cho {name}").format(
            alias=args.alias, name=directory.full_name(hit.agency_id)
        )
    )


async def _agency_list_json(ctx: AppContext, directory: Directory, args: argparse.Namespace) -> None:
    rows = [
        {
            "id": a.id,
            "name": a.name,
            "full_name": directory.full_name(a.id),
            "parent_id": a.parent_id,
            "path": directory.path(a.id),
            "aliases": list(a.aliases),
        }
        for a in await ctx.storage.agencies()
    ]
    print(_dump(rows))


async def _agency_list_tree(ctx: AppContext, directory: Directory, args: argparse.Namespace) -> None:
    for line in _tree_lines(directory):
        print(line)


async def _agency_list(ctx: AppContext, directory: Directory, args: argparse.Namespace) -> None:
    for agency in await ctx.storage.agencies():
        extra = f"  [{', '.join(agency.aliases)}]" if agency.aliases else ""
        print(f"{directory.full_name(agency.id)}{extra}")


async def _agency_rename(ctx: AppContext, directory: Directory, args: argparse.Namespace) -> None:
    agency_id = _existing_agency(directory, args.name)
    old = directory.full_name(agency_id)
    try:
        await ctx.storage.rename_agency(agency_id, args.new)
    except ValueError as exc:
        raise UserError(_("Đã có cơ quan “{name}” cùng cấp.").format(name=args.new)) from exc
    print(_("Đã đổi tên {old} thành {new}").format(old=old, new=args.new))


async def _agency_move(ctx: AppContext, directory: Directory, args: argparse.Namespace) -> None:
    agency_id = _existing_agency(directory, args.name)
    parent_id = None if args.top else _existing_agency(directory, args.parent)
    try:
        await ctx.storage.move_agency(agency_id, parent_id)
    except ValueError as exc:
        raise UserError(
            _("Không thể chuyển {name} vào {parent}.").format(
                name=directory.full_name(agency_id),
                parent=directory.full_name(parent_id) if parent_id else "—",
            )
        ) from exc
    fresh = await ctx.directory()
    print(_("Đã chuyển: {path}").format(path=" › ".join(fresh.path(agency_id))))


async def _agency_seed(ctx: AppContext, directory: Directory, args: argparse.Namespace) -> None:
    from handlers.places import UnknownProvince, load_places

    try:
        places = load_places(args.province)
    except UnknownProvince as exc:
        raise UserError(
            _("Không có tỉnh “{name}”. Các tỉnh: {names}").format(name=args.province, names=str(exc))
        ) from exc
    top = directory.resolve("UBND tỉnh")
    province_id = top.agency_id
    if province_id is None:
        province_id = await ctx.storage.add_agency(f"UBND tỉnh {places.province}")
    added = 0
    for ward in places.wards:
        hit = directory.resolve(ward.ubnd_name)
        known = directory.record(hit.agency_id) if hit.agency_id is not None else None
        if known is not None and fold(known.name) == fold(ward.ubnd_name):
            continue  # already known (from a plan): kept as it is
        await ctx.storage.add_agency(ward.ubnd_name, parent_id=province_id)
        added += 1
    print(
        _("Đã thêm {n} UBND xã/phường của {province} (có sẵn {known}).").format(
            n=added, province=places.province, known=len(places.wards) - added
        )
    )


async def _agency_merge(ctx: AppContext, directory: Directory, args: argparse.Namespace) -> None:
    source = _existing_agency(directory, args.source)
    target = _existing_agency(directory, args.target)
    if source == target:
        raise UserError(_("Hai tên là cùng một cơ quan."))
    try:
        await ctx.storage.merge_agencies(source, target)
    except ValueError as exc:
        raise UserError(_("Không thể gộp một cơ quan vào đơn vị của chính nó.")) from exc
    print(
        _("Đã gộp {source} vào {target}").format(
            source=directory.full_name(source), target=directory.full_name(target)
        )
    )


_AGENCY_COMMANDS: dict[str, Callable[[AppContext, Directory, argparse.Namespace], Awaitable[None]]] = {
    "alias": _agency_alias,
    "list_json": _agency_list_json,
    "list_tree": _agency_list_tree,
    "list": _agency_list,
    "rename": _agency_rename,
    "move": _agency_move,
    "seed": _agency_seed,
    "merge": _agency_merge,
}


def _plan_json(plan: PlanRecord) -> dict[str, Any]:
    return {
        "id": plan.id,
        "number": plan.number,
        "title": plan.title,
        "issuer": plan.issuer,
        "year": plan.year,
        "period": list(plan.period) if plan.period else None,
        "archived": plan.archived,
        "tasks": plan.tasks,
        "occurrences": plan.occurrences,
        "open": plan.open_occurrences,
    }


async def _one_plan(ctx: AppContext, ref: str) -> PlanRecord:
    found = await ctx.storage.find_plans(ref)
    if not found:
        raise UserError(_("Không có kế hoạch “{plan}” (ghi số hiệu hoặc mã số của kế hoạch).").format(plan=ref))
    if len(found) > 1:
        raise UserError(
            _("Có {n} kế hoạch số “{plan}”: hãy ghi mã số ({ids}).").format(
                n=len(found), plan=ref, ids=", ".join(str(p.id) for p in found)
            )
        )
    return found[0]


async def cmd_plan(args: argparse.Namespace) -> int:
    """`plan list [--json]`, `plan archive PLAN`, `plan restore PLAN` (PLAN: its number or id)."""
    ctx = await _context(args)
    try:
        if args.plan_command == "list":
            plans = await ctx.storage.plans()
            if args.json:
                print(_dump([_plan_json(p) for p in plans]))
                return 0
            for p in plans:
                years = p.years or "—"
                state = _("đã lưu trữ") if p.archived else _("đang theo dõi")
                print(
                    f"{p.id}\t{p.number or '—'}\t{years}\t{state}\t"
                    + _("{tasks} nhiệm vụ, {open} hạn chưa xong").format(tasks=p.tasks, open=p.open_occurrences)
                    + f"\t{(p.title or '')[:80]}"
                )
            if not plans:
                print(_("Chưa có kế hoạch nào."))
            return 0
        plan = await _one_plan(ctx, args.plan)
        archive = args.plan_command == "archive"
        await _authorize(ctx, Action.ARCHIVE if archive else Action.RESTORE)
        changed = await ctx.storage.set_plan_archived(plan.id, archived=archive, by="cli", at=datetime.now(UTC))
        if archive:
            print(
                (_("Đã lưu trữ kế hoạch {plan}: không còn nhắc việc.") if changed else _("Kế hoạch {plan} đã được lưu trữ trước đó."))
                .format(plan=plan.label)
            )
        else:
            print(
                (_("Đã khôi phục kế hoạch {plan}.") if changed else _("Kế hoạch {plan} đang được theo dõi."))
                .format(plan=plan.label)
            )
    finally:
        await ctx.storage.close()
    return 0


async def _authorize(ctx: AppContext, action: Action, agency: int | None = None) -> None:
    """The command line through the one gate (`bot.core.access`): it acts as an admin."""
    from handlers.results import authorize

    await authorize(ctx, await _actor(ctx, None), action, Target(frozenset({agency} if agency is not None else ())))


async def _actor(ctx: AppContext, by: Address | None) -> Actor:
    """`--by CHANNEL:ID` acts as that account (its rights); without it the command line is an admin."""
    from handlers.results import Actor

    if not by:
        return Actor(Address.of("console", "cli"), None, True)
    user = await ctx.storage.user(by)
    if user is None:
        raise UserError(_("Không có tài khoản {account}").format(account=by))
    return Actor(user.address, user, by in ctx.settings.admins or user.role is Role.ADMIN)


async def cmd_done(args: argparse.Namespace) -> int:
    """`done OCCURRENCE_ID [--note] [--file PATH] [--by]` and `undone OCCURRENCE_ID [--by]`."""
    from handlers import results

    file: dict[str, Any] = {}
    if getattr(args, "file", None):
        path = Path(args.file)
        if not path.is_file():
            raise UserError(_("Không tìm thấy tệp: {path}").format(path=args.file))
        file = {"file_id": f"local:{path.resolve()}", "file_name": path.name, "file_size": path.stat().st_size}
    ctx = await _context(args)
    try:
        actor = await _actor(ctx, args.by)
        if args.command == "undone":
            task = await results.undo_done(ctx, args.occurrence, actor)
            print(_("Đã hoàn tác: {title} trở lại chưa xong.").format(title=task.title))
            return 0
        task, changed = await results.mark_done(ctx, args.occurrence, actor, note=args.note, **file)
        if changed:
            print(_("Đã ghi nhận hoàn thành: {title}").format(title=task.title))
        elif args.note or file:
            print(_("Việc đã xong từ trước; đã thêm ghi chú/tệp: {title}").format(title=task.title))
        else:
            print(_("Việc này đã được đánh dấu xong trước đó."))
    finally:
        await ctx.storage.close()
    return 0


async def cmd_remind(args: argparse.Namespace) -> int:
    """Plan the reminders due at --now; list them (--dry-run) or claim and send them once."""
    from bot.delivery.tick import run_tick

    ctx = await _context(args)
    channels = []
    try:
        now = args.now or datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=ctx.settings.tz)
        ctx.clock = lambda: now
        sender = None
        if not args.dry_run:
            from bot.app import build_channels
            from bot.delivery.ports import Outbox
            from handlers.router import Router

            channels = build_channels(ctx.settings, Router(ctx))
            if not channels:
                raise UserError(
                    _("Chưa cấu hình kênh nào (TELEGRAM_BOT_TOKEN hoặc ZALO_BOT_TOKEN) để gửi nhắc việc.")
                )
            for channel in channels:
                await channel.open_for_sending()
            sender = Outbox(channels)
        report = await run_tick(ctx.delivery(), sender=sender, dry_run=args.dry_run)
    finally:
        for channel in channels:
            with contextlib.suppress(Exception):
                await channel.stop()
        await ctx.storage.close()
    if args.json:
        print(_dump(report.to_json()))
    elif report.reminders:
        for message in report.reminders:
            print(f"{message.to}: {message.text}")
    else:
        print(_("Không có nhắc việc nào đến giờ gửi."))
    return 0


async def cmd_digest(args: argparse.Namespace) -> int:
    from bot.delivery.digests import digest_report

    ctx = await _context(args)
    try:
        report = await digest_report(ctx.cache, agency=args.agency, today=args.today or ctx.today())
    finally:
        await ctx.storage.close()
    print(_dump(report.to_json()) if args.json else report.reply_text)
    return 0


async def cmd_export(args: argparse.Namespace) -> int:
    """`export [--agency NAME] [--from D] [--to D] [--format xlsx|docx] [--today D] --out FILE`."""
    from handlers.export import export_to_file, format_for

    fmt = format_for(args.out, args.format)
    if args.start and args.end and args.start > args.end:
        raise UserError(_("--from phải trước --to"))
    ctx = await _context(args)
    try:
        await _authorize(ctx, Action.EXPORT)
        report, content = await export_to_file(
            ctx, args.agency, today=args.today or ctx.today(), start=args.start, end=args.end, fmt=fmt
        )
    finally:
        await ctx.storage.close()
    out = Path(args.out)
    try:
        out.write_bytes(content)
    except OSError as exc:
        raise UserError(_("Không ghi được tệp {path}: {error}").format(path=args.out, error=_first_line(exc))) from exc
    print(
        _("Đã xuất {n} dòng ({units} đơn vị) vào {path}").format(
            n=len(report.rows), units=len(report.units), path=out
        )
    )
    return 0


DEFAULT_WEB_PORT = 8080


async def cmd_web(args: argparse.Namespace) -> int:
    """`web link ACCOUNT [--base URL]` prints a login link; `web serve [--port P]` serves the dashboard."""
    from handlers.dashboard import login_link

    settings: Settings = args.settings
    ctx = await _context(args)
    try:
        if args.web_command == "link":
            base = args.base or settings.web_base_url
            print(await login_link(ctx, args.account, base=base))
            return 0
        port = args.port if args.port is not None else settings.nhacviec_web_port or DEFAULT_WEB_PORT
        return await _serve_web(ctx, host=args.listen or settings.nhacviec_web_listen, port=port)
    finally:
        await ctx.storage.close()


def _web_base(value: str) -> str:
    try:
        return parse_web_url(value) or ""
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


async def _serve_web(ctx: AppContext, *, host: str, port: int) -> int:
    """The dashboard alone (no channel, no reminders) until SIGINT/SIGTERM, with /healthz and /readyz."""
    from bot.app import web_server

    ctx.settings = ctx.settings.model_copy(update={"nhacviec_web_port": port, "nhacviec_web_listen": host})
    server = web_server(ctx, [])
    assert server is not None  # the port is set
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    print(_("Trang tổng hợp: {url}").format(url=server.url), file=sys.stderr)
    await server.serve_until(stop)
    return 0


def no_channel_line(settings: Settings, *, console: bool, interactive: bool) -> str | None:
    """DESIGN.md: no token, no terminal and no --console is a deployment mistake, not a chat."""
    if console or interactive or settings.telegram_bot_token or settings.zalo_bot_token:
        return None
    return _(
        "Chưa có kênh nào: đặt TELEGRAM_BOT_TOKEN và/hoặc ZALO_BOT_TOKEN (hoặc chạy nhacviec run --console để trò chuyện qua stdin)."
    )


async def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import ConsoleOptions, run

    settings: Settings = args.settings
    stop = no_channel_line(settings, console=args.console, interactive=sys.stdin.isatty())
    if stop is not None:
        print(stop, file=sys.stderr)
        return 1
    has_token = bool(settings.telegram_bot_token or settings.zalo_bot_token)
    console = None
    if args.console or not has_token:
        console = ConsoleOptions(agency=args.as_agency, role=args.role, today=args.today, user=args.user)
    elif args.as_agency or args.role or args.today or args.user != "local":
        raise UserError(_("--as, --role, --user và --today chỉ dùng cho console (nhacviec run --console)."))
    return await run(settings, db=args.db, console=console)


HEALTH_TIMEOUT = 20.0  # seconds for the whole check (Docker's HEALTHCHECK waits 30)


async def _check_database(url: str) -> str | None:
    """None when the database answers with its tables; else why not (a missing SQLite file is
    not created here: a health check never makes an empty database look healthy)."""
    from sqlalchemy.engine import make_url

    from storage import Storage

    try:
        parsed = make_url(url)
    except Exception:
        return _("NHACVIEC_DB không phải URL cơ sở dữ liệu")
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).is_file():
            return _("không có tệp cơ sở dữ liệu {path}").format(path=parsed.database)
    try:
        storage = await Storage.open(url, migrate=False)
    except Exception as exc:
        return _first_line(exc)
    try:
        await storage.revisions()
    except Exception as exc:
        return _("không đọc được ({error})").format(error=_first_line(exc))
    finally:
        await storage.close()
    return None


async def _check_channels(settings: Settings) -> tuple[list[str], list[str]]:
    """getMe on each configured channel: (what answered, what failed)."""
    from bot.app import build_channels
    from handlers.context import AppContext
    from handlers.router import Router

    ok: list[str] = []
    failed: list[str] = []
    # The router is never asked anything: channels only need one to be built.
    router = Router(AppContext(storage=None, settings=settings))  # type: ignore[arg-type]
    for channel in build_channels(settings, router):
        try:
            await channel.open_for_sending()
            ok.append(channel.name)
        except Exception as exc:
            failed.append(f"{channel.name}: {_first_line(exc)}")
        finally:
            with contextlib.suppress(Exception):
                await channel.stop()
    return ok, failed


async def _check_url(url: str) -> int:
    """`health --url`: a running worker's /healthz or /readyz answers 2xx (exit 0), else 1; one line."""
    import httpx

    try:
        async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT / 2) as http:
            answer = await http.get(url)
    except httpx.HTTPError as exc:
        print(_("LỖI: {problems}").format(problems=f"{url}: {type(exc).__name__}"), file=sys.stderr)
        return 1
    if not answer.is_success:
        print(_("LỖI: {problems}").format(problems=f"{url}: {answer.status_code} {answer.text[:200]}"), file=sys.stderr)
        return 1
    print(_("OK: {parts}").format(parts=f"{url} {answer.status_code}"))
    return 0


async def cmd_health(args: argparse.Namespace) -> int:
    """The database answers and every configured channel's getMe works: exit 0, else 1; one line.
    With --url, only whether a running worker's health endpoint answers 2xx."""
    if args.url:
        return await _check_url(args.url)
    settings: Settings = args.settings
    url = args.db or settings.nhacviec_db
    logging.getLogger("bot.channels").setLevel(logging.ERROR)  # one line: no "retrying" warnings
    problems: list[str] = []
    ok: list[str] = []
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            database = await _check_database(url)
            if database is None:
                ok.append(_("cơ sở dữ liệu"))
            else:
                problems.append(_("cơ sở dữ liệu: {error}").format(error=database))
            answered, failed = await _check_channels(settings)
            ok += answered
            problems += failed
    except TimeoutError:
        problems.append(_("quá {seconds:.0f} giây").format(seconds=HEALTH_TIMEOUT))
    if problems:
        print(_("LỖI: {problems}").format(problems="; ".join(problems)), file=sys.stderr)
        return 1
    print(_("OK: {parts}").format(parts=", ".join(ok)))
    return 0


# -- parser and entry point -----------------------------------------------------------------


def _add_chat_commands(sub: argparse._SubParsersAction) -> None:
    """`run`, `health`, `ask`, `deadline`: the bot and its questions."""
    p = sub.add_parser(
        "run", help=_("chạy bot trên các kênh đã cấu hình (không có token: trò chuyện trên console)")
    )
    p.add_argument("--console", action="store_true", help=_("trò chuyện trên console (đọc stdin từng dòng)"))
    p.add_argument("--as", dest="as_agency", metavar="AGENCY", help=_("cơ quan của người dùng console"))
    p.add_argument(
        "--user", default="local", metavar="NAME", help=_("tài khoản console (mặc định local); mỗi tên một tài khoản")
    )
    p.add_argument("--role", choices=["officer", "manager", "admin"], help=_("vai trò của người dùng console"))
    p.add_argument("--today", type=_date, help=_("ngày hôm nay của console (YYYY-MM-DD), để thử"))
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("health", help=_("kiểm tra cơ sở dữ liệu và các kênh (getMe); mã thoát 0 hoặc 1"))
    p.add_argument(
        "--url", help=_("chỉ hỏi /healthz hoặc /readyz của một tiến trình đang chạy, ví dụ http://127.0.0.1:8443/readyz")
    )
    p.set_defaults(func=cmd_health)

    p = sub.add_parser("ask", help=_("hỏi như trên chat"))
    p.add_argument("text")
    p.add_argument("--agency")
    p.add_argument("--today", type=_date)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("deadline", help=_("đọc một thời hạn viết bằng tiếng Việt"))
    p.add_argument("text")
    p.add_argument("--today", type=_date)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_deadline)


def _add_plan_commands(sub: argparse._SubParsersAction) -> None:
    """`import`, `plan`, `done`/`undone`, `export`: plans and their results."""
    p = sub.add_parser("import", help=_("nhập một kế hoạch (CSV, XLSX, DOCX, PDF, TXT)"))
    p.add_argument("file")
    p.add_argument("--issuer")
    p.add_argument("--plan")
    p.add_argument("--year", type=int)
    p.add_argument("--period", type=_period, help=_("các năm của kế hoạch, ví dụ 2026-2030"))
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--match",
        action="append",
        metavar="WRITTEN=AGENCY",
        help=_("sửa một tên trong bản xem trước: tên như trong kế hoạch=cơ quan có sẵn (lặp lại được)"),
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("plan", help=_("các kế hoạch: xem, lưu trữ, khôi phục"))
    plan_sub = p.add_subparsers(dest="plan_command", required=True)
    q = plan_sub.add_parser("list")
    q.add_argument("--json", action="store_true")
    for name in ("archive", "restore"):
        q = plan_sub.add_parser(name)
        q.add_argument("plan", help=_("số hiệu hoặc mã số của kế hoạch"))
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("done", help=_("đánh dấu một kỳ hạn đã xong (kèm ghi chú, tệp báo cáo)"))
    p.add_argument("occurrence", type=int, help=_("mã kỳ hạn (ask --json: occurrence)"))
    p.add_argument("--note")
    p.add_argument("--file")
    p.add_argument("--by", type=_address, help="telegram:123 | zalo:abc")
    p.set_defaults(func=cmd_done)

    p = sub.add_parser("undone", help=_("hoàn tác việc đã đánh dấu xong (trong 24 giờ)"))
    p.add_argument("occurrence", type=int)
    p.add_argument("--by", type=_address, help="telegram:123 | zalo:abc")
    p.set_defaults(func=cmd_done)

    p = sub.add_parser("export", help=_("xuất báo cáo (Excel hoặc Word) của một cơ quan"))
    p.add_argument("--agency", help=_("tên cơ quan như danh bạ ghi (mặc định: mọi cơ quan)"))
    p.add_argument("--format", choices=("xlsx", "docx"), help=_("mặc định: theo đuôi của --out"))
    p.add_argument("--from", dest="start", type=_date)
    p.add_argument("--to", dest="end", type=_date)
    p.add_argument("--today", type=_date)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_export)


def _add_delivery_commands(sub: argparse._SubParsersAction) -> None:
    """`remind`, `digest`: what the reminder tick and the managers' digest would send."""
    p = sub.add_parser("remind", help=_("gửi (hoặc xem trước) các nhắc việc đến giờ"))
    p.add_argument("--now", type=_datetime)
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_remind)

    p = sub.add_parser("digest", help=_("báo cáo tổng hợp cho lãnh đạo"))
    p.add_argument("--agency")
    p.add_argument("--today", type=_date)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_digest)


def _add_admin_commands(sub: argparse._SubParsersAction) -> None:
    """`user`, `agency`, `web`: people, the directory, the dashboard."""
    p = sub.add_parser("user", help=_("quản lý người dùng"))
    user_sub = p.add_subparsers(dest="user_command", required=True)
    q = user_sub.add_parser("add")
    q.add_argument("account", type=_address, help="telegram:123 | zalo:abc")
    q.add_argument("--agency", required=True)
    q.add_argument("--role", default="officer", choices=["officer", "manager", "admin"])
    q = user_sub.add_parser("list")
    q.add_argument("--json", action="store_true")
    q = user_sub.add_parser("remove")
    q.add_argument("account", type=_address)
    p.set_defaults(func=cmd_user)

    p = sub.add_parser("agency", help=_("quản lý cơ quan"))
    agency_sub = p.add_subparsers(dest="agency_command", required=True)
    q = agency_sub.add_parser("alias")
    q.add_argument("name")
    q.add_argument("alias")
    q = agency_sub.add_parser("list")
    q.add_argument("--tree", action="store_true", help=_("hiện cây cơ quan"))
    q.add_argument("--json", action="store_true")
    q = agency_sub.add_parser("rename")
    q.add_argument("name")
    q.add_argument("new")
    q = agency_sub.add_parser("move")
    q.add_argument("name")
    target = q.add_mutually_exclusive_group(required=True)
    target.add_argument("--parent")
    target.add_argument("--top", action="store_true", help=_("đưa lên cấp trên cùng"))
    q = agency_sub.add_parser("seed", help=_("tạo UBND của mọi xã/phường một tỉnh"))
    q.add_argument("--province", required=True)
    q = agency_sub.add_parser("merge")
    q.add_argument("source", metavar="FROM")
    q.add_argument("target", metavar="INTO")
    p.set_defaults(func=cmd_agency)

    p = sub.add_parser("web", help=_("trang tổng hợp trên trình duyệt: phục vụ, hoặc in một liên kết đăng nhập"))
    web_sub = p.add_subparsers(dest="web_command", required=True)
    q = web_sub.add_parser("serve", help=_("chỉ phục vụ trang tổng hợp (không kênh chat, không nhắc việc)"))
    q.add_argument("--port", type=int, default=None, help=_("cổng (mặc định NHACVIEC_WEB_PORT, hoặc 8080)"))
    q.add_argument("--listen", help=_("địa chỉ lắng nghe (mặc định NHACVIEC_WEB_LISTEN)"))
    q = web_sub.add_parser("link", help=_("in một liên kết đăng nhập (10 phút, dùng một lần)"))
    q.add_argument("account", type=_address, help="telegram:123 | zalo:abc")
    q.add_argument("--base", type=_web_base, help=_("địa chỉ gốc của trang (mặc định NHACVIEC_WEB_URL)"))
    p.set_defaults(func=cmd_web)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nhacviec", description=_("Nhắc Việc — trợ lý nhắc việc cho cơ quan nhà nước.")
    )
    parser.add_argument("--db", help=_("URL cơ sở dữ liệu SQLAlchemy (mặc định: NHACVIEC_DB)"))
    sub = parser.add_subparsers(dest="command", required=True)
    _add_chat_commands(sub)
    _add_plan_commands(sub)
    _add_delivery_commands(sub)
    _add_admin_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        settings = Settings()
    except ValidationError as exc:
        print(settings_error(exc), file=sys.stderr)
        return 1
    redact = settings.redactor()
    configure_logging(settings.nhacviec_log_level, redact)  # one line a record, secrets masked
    set_default_language(settings.nhacviec_language)
    args = build_parser().parse_args(argv)
    args.settings = settings
    command: Callable[[argparse.Namespace], Coroutine[Any, Any, int]] = args.func
    try:
        return asyncio.run(command(args))
    except UserError as exc:
        print(redact(_first_line(exc)), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if settings.nhacviec_debug:
            raise
        log.debug("command failed", exc_info=True)
        print(redact(_("Lỗi: {error}").format(error=_first_line(exc))), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
