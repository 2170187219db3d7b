"""Map import: the preview (an upload read and compared, nothing written) and the apply.

The parsed tree of an upload stays on the server between the preview and the apply
request: a JSON file under ``instance/mindmap-imports/<token>.json`` holding the tree,
the sheets of the file, what the file holds that is not imported, the user and the task
force; the upload's bytes lie beside it (``<token>.upload``) so that another sheet of the
file can be read without uploading it again. The browser only sends the random token
back, so it can neither alter the tree nor apply someone else's preview. Apply plans
again against the database (the preview may be minutes old) and writes everything in one
transaction. See ``plan.py`` for how topics are matched to categories and items.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app.core import audit, clock
from app.core.errors import NotFound, ValidationFailed
from app.core.permissions import authorize
from app.core.sheets import size_text
from app.extensions import db
from app.issues import service as issues
from app.issues.models import Category, Issue
from app.mindmap.formats import Limits, MapFile, MapFileError, MapNode, Omitted, read_map_file
from app.mindmap.plan import NAME_MAX, Plan, PreviewRow, plan_import
from app.people.models import User

TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
PREVIEW_LIFETIME = timedelta(hours=2)


@dataclass
class Preview:
    token: str
    filename: str
    root_title: str
    plan: Plan
    omitted: Omitted = field(default_factory=Omitted)
    sheets: list[str] = field(default_factory=list)
    sheet: int = 0

    @property
    def left_out(self) -> list[str]:
        """What the file holds that is not imported, one phrase each, in the reader's words."""
        return omitted_phrases(self.omitted, self.sheets, self.sheet)


def omitted_phrases(omitted: Omitted, sheets: list[str], sheet: int) -> list[str]:
    phrases = []
    others = [n for n in range(len(sheets)) if n != sheet]
    for position, (_title, topics) in enumerate(omitted.sheets):
        number = others[position] + 1 if position < len(others) else position + 2
        phrases.append(
            ngettext(
                "sheet %(number)d (%(num)d topic)",
                "sheet %(number)d (%(num)d topics)",
                topics,
                number=number,
            )
        )
    words = {
        "floating": lambda n: ngettext("%(num)d floating topic", "%(num)d floating topics", n),
        "summaries": lambda n: ngettext("%(num)d summary", "%(num)d summaries", n),
        "callouts": lambda n: ngettext("%(num)d callout", "%(num)d callouts", n),
        "relationships": lambda n: ngettext("%(num)d relationship", "%(num)d relationships", n),
        "labels": lambda n: ngettext("%(num)d label", "%(num)d labels", n),
        "markers": lambda n: ngettext("%(num)d marker", "%(num)d markers", n),
        "links": lambda n: ngettext("%(num)d link", "%(num)d links", n),
        "images": lambda n: ngettext("%(num)d image", "%(num)d images", n),
        "comments": lambda n: ngettext("%(num)d comment", "%(num)d comments", n),
    }
    for kind, word in words.items():
        number = getattr(omitted, kind)
        if number:
            phrases.append(word(number))
    return phrases


# --- the stored preview --------------------------------------------------------------------


def _limits() -> Limits:
    config = current_app.config
    return Limits(
        max_entries=config["MINDMAP_ZIP_MAX_ENTRIES"],
        max_uncompressed=config["MINDMAP_ZIP_MAX_BYTES"],
        max_nodes=config["MINDMAP_MAX_NODES"],
        max_depth=config["MINDMAP_MAX_DEPTH"],
        max_note=config["MINDMAP_MAX_NOTE_CHARS"],
    )


def _import_dir() -> Path:
    folder = Path(current_app.instance_path) / "mindmap-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _read(filename: str, data: bytes, sheet: int = 0) -> MapFile:
    """:raise ValidationFailed: for a file that is too big, damaged, of the wrong type or empty."""
    limit = current_app.config["MINDMAP_MAX_UPLOAD_BYTES"]
    if len(data) > limit:
        raise ValidationFailed(
            _("The file is larger than %(size)s.", size=size_text(limit)),
            "file",
        )
    try:
        return read_map_file(filename, data, _limits(), sheet=sheet)
    except MapFileError as error:
        raise ValidationFailed(error.message, "file") from None


def _record(actor: User, task_force_id: int, filename: str, read: MapFile) -> dict:
    return {
        "user_id": actor.id,
        "task_force_id": task_force_id,
        "created": clock.now().isoformat(),
        "filename": filename[:200],
        "tree": read.root.to_dict(),
        "sheets": list(read.sheets),
        "sheet": read.sheet,
        "omitted": read.omitted.to_dict(),
    }


def _write(token: str, record: dict) -> None:
    (_import_dir() / f"{token}.json").write_text(json.dumps(record, ensure_ascii=False), "utf-8")


def _preview(token: str, record: dict) -> Preview:
    root = MapNode.from_dict(record["tree"])
    return Preview(
        token,
        record["filename"],
        root.title,
        plan_import(record["task_force_id"], root),
        Omitted.from_dict(record.get("omitted") or {}),
        list(record.get("sheets") or []),
        int(record.get("sheet") or 0),
    )


def preview_import(actor: User, task_force_id: int, filename: str, data: bytes) -> Preview:
    """Read an upload and compare it with the framework; nothing is written to the database.

    :raise ValidationFailed: for a file that is too big, damaged, of the wrong type or empty.
    """
    authorize(actor, "mindmap.import", task_force_id)
    read = _read(filename, data)
    _sweep()
    token = secrets.token_hex(16)
    record = _record(actor, task_force_id, filename, read)
    if len(read.sheets) > 1:  # kept for reading another sheet; swept with the preview
        (_import_dir() / f"{token}.upload").write_bytes(data)
    _write(token, record)
    return _preview(token, record)


def choose_sheet(actor: User, task_force_id: int, token: str, sheet: int) -> Preview:
    """Read another sheet of the stored upload into the same preview.

    :raise NotFound: for a preview that is not the actor's, or whose upload is gone.
    :raise ValidationFailed: for a sheet the file does not have, or one that cannot be read.
    """
    authorize(actor, "mindmap.import", task_force_id)
    path, record = _load_stored(actor, task_force_id, token)
    if not 0 <= sheet < len(record.get("sheets") or []):
        raise ValidationFailed(_("The file has no such sheet."), "sheet")
    try:
        data = path.with_suffix(".upload").read_bytes()
    except OSError:
        raise NotFound("no such upload") from None
    read = _read(record["filename"], data, sheet)
    record.update(_record(actor, task_force_id, record["filename"], read))
    _write(token, record)
    return _preview(token, record)


def _sweep() -> None:
    """Forget previews nobody applied, and their uploads."""
    cutoff = clock.now().timestamp() - PREVIEW_LIFETIME.total_seconds()
    for pattern in ("*.json", "*.upload"):
        for path in _import_dir().glob(pattern):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                pass


def _load_stored(actor: User, task_force_id: int, token: str) -> tuple[Path, dict]:
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        raise NotFound("no such import")
    path = _import_dir() / f"{token}.json"
    try:
        record = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        raise NotFound("no such import") from None
    if record.get("user_id") != actor.id or record.get("task_force_id") != task_force_id:
        raise NotFound("no such import")
    created = datetime.fromisoformat(record["created"])
    if clock.now() - created > PREVIEW_LIFETIME:
        _forget(path)
        raise ValidationFailed(_("This preview has expired. Upload the file again."))
    return path, record


def _forget(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_suffix(".upload").unlink(missing_ok=True)


def stored_preview(actor: User, task_force_id: int, token: str) -> Preview:
    authorize(actor, "mindmap.import", task_force_id)
    _path, record = _load_stored(actor, task_force_id, token)
    return _preview(token, record)


def discard_preview(actor: User, task_force_id: int, token: str) -> None:
    path, _record = _load_stored(actor, task_force_id, token)
    _forget(path)


# --- apply ---------------------------------------------------------------------------------


def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def _free_prefix(taken: set[str]) -> str:
    n = 0
    while f"M{_letters(n)}" in taken:
        n += 1
    prefix = f"M{_letters(n)}"
    taken.add(prefix)
    return prefix


class _Apply:
    """One apply: the plan's rows written in tree order."""

    def __init__(self, actor: User, task_force_id: int, plan: Plan, keep_closed: bool):
        self.actor = actor
        self.task_force_id = task_force_id
        self.plan = plan
        self.keep_closed = keep_closed
        self.categories: dict[int, Category] = {}  # row index -> its category
        self.counts = {"categories": 0, "issues": 0, "updated": 0, "closed": 0}
        self.taken = (
            set(
                db.session.scalars(
                    select(Category.code_prefix).where(
                        Category.task_force_id == task_force_id, Category.code_prefix.is_not(None)
                    )
                )
            )
            | plan.planned_prefixes()
        )

    def run(self) -> dict[str, int]:
        rows = self.plan.rows
        existing = {
            c.id: c
            for c in db.session.scalars(
                select(Category).where(Category.task_force_id == self.task_force_id)
            )
        }
        items = {
            i.id: i
            for i in db.session.scalars(
                select(Issue).where(
                    Issue.id.in_(
                        [r.target_id for r in rows if r.kind == "issue" and r.state == "changed"]
                    )
                )
            )
        }
        new_items: list[tuple[PreviewRow, issues.NewItem]] = []
        updates: list[tuple[Issue, dict]] = []
        for index, row in enumerate(rows):
            if row.kind == "category":
                self._category(index, row, existing.get(row.target_id))
                continue
            parent = self.categories[row.parent]
            if row.state == "new":
                new_items.append((row, self._new_item(row, parent)))
            elif row.state == "changed":
                updates.append((items[row.target_id], self._values(row, parent)))
        # The problem list's own services number, assign and audit the items, in a batch.
        created = issues.create_issues(self.actor, self.task_force_id, [n for _r, n in new_items])
        issues.update_issues(self.actor, updates)
        closing = [
            issue
            for (row, _new), issue in zip(new_items, created, strict=True)
            if row.closed and self.keep_closed
        ]
        if closing:
            issues.close_imported(self.actor, closing, _("Closed in the imported map."))
        self.counts["issues"] += len(created)
        self.counts["updated"] += len(updates)
        self.counts["closed"] = len(closing)
        return self.counts

    def _new_item(self, row: PreviewRow, parent: Category) -> issues.NewItem:
        return issues.NewItem(
            category=parent,
            title=row.title,
            description=row.description,
            priority=row.priority or "medium",
            code=row.code,
        )

    def _values(self, row: PreviewRow, parent: Category) -> dict:
        values: dict = {}
        if "title" in row.changes:
            values["title"] = row.title
        if "category" in row.changes:
            values["category_id"] = parent.id
        if "description" in row.changes:
            values["description"] = row.description
        if "priority" in row.changes:
            values["priority"] = row.priority
        return values

    def _category(self, index: int, row: PreviewRow, category: Category | None) -> None:
        """One category row: a new category, or a matched one's new values."""
        if row.state == "new":
            parent = self.categories.get(row.parent) if row.parent is not None else None
            category = issues.create_category(
                self.actor,
                self.task_force_id,
                issues.CategoryInput(
                    name=row.title[:NAME_MAX],
                    parent_id=parent.id if parent else None,
                    # Top-level dimensions number their items: the file's prefix, or a free one.
                    code_prefix=None if parent else (row.prefix or _free_prefix(self.taken)),
                    description=row.description,
                ),
                action="imported",
            )
            self.counts["categories"] += 1
        elif row.state == "changed":
            values: dict = {}
            if "name" in row.changes:
                values["name"] = row.title
            if "description" in row.changes:
                values["description"] = row.description
            if "archived" in row.changes:
                values["archived_at"] = None
            changes = audit.apply_changes(category, values)
            audit.record(self.actor, "imported", category, changes, summary=category.name)
            self.counts["updated"] += 1
        self.categories[index] = category


def apply_import(
    actor: User, task_force_id: int, token: str, keep_closed: bool = False
) -> dict[str, int]:
    """Create and update what the stored preview shows, in one transaction; with
    ``keep_closed``, new items the file marks closed are created closed.

    Removed nodes are never deleted or archived here; the preview lists them.
    """
    authorize(actor, "mindmap.import", task_force_id)
    path, record = _load_stored(actor, task_force_id, token)
    root = MapNode.from_dict(record["tree"])
    plan = plan_import(task_force_id, root)
    counts = _Apply(actor, task_force_id, plan, keep_closed).run()
    db.session.flush()  # refused rows refuse here, before the preview goes
    _forget(path)
    return counts
