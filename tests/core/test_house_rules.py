"""The sizes ARCHITECTURE.md promises: no module of the application over 800 lines and no
function over 80, outside the demo's data (``demo_data`` modules and their JSON files).
A newcomer reads any function on one screen and any service in one sitting."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).parents[2] / "app"
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80


def _modules():
    return [p for p in sorted(APP.rglob("*.py")) if not p.stem.startswith("demo_data")]


def test_no_module_is_over_800_lines():
    long = {
        str(p.relative_to(APP)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_over_80_lines():
    long = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(APP)}:{node.name}"] = lines
    assert long == {}
