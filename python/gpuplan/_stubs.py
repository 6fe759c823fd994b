"""Writes gpuplan's type stubs (__init__.pyi) from the same option tables as --help:
python3 -m gpuplan._stubs OUT.pyi (run by the build after the module is built)."""

import sys

from . import _FACE_OPTIONS, _SUMMARIES, _gpuplan, _positional

_TYPES = {"text": "str", "flag": "bool"}


def stub_text():
    out = ['"""Type stubs of gpuplan, generated from the option tables by gpuplan._stubs."""',
           "from typing import Any, Dict, Optional, Union", "",
           "__version__: str", "",
           "class Error(Exception):",
           "    code: str", "    message: str", "    command: str",
           "    def __init__(self, code: str, message: str, command: str) -> None: ...", ""]
    for command in _gpuplan.commands():
        fields = _gpuplan.fields(command)
        first = _positional(fields)
        params, seen = [], {first}
        if first:
            params.append(f"{first}: Optional[str] = None")
        params.append("*")
        for f in fields:
            if f["key"] in seen:
                continue
            seen.add(f["key"])
            kind = _TYPES.get(f["kind"], "Union[str, int, float]")
            params.append(f"{f['key']}: Optional[{kind}] = None")
        for key in _FACE_OPTIONS:
            params.append(f"{key}: Optional[{'bool' if key == 'offline' else 'str'}] = None")
        if params and params[-1] == "*":
            params.pop()
        out.append(f"def {command}({', '.join(params)}) -> Dict[str, Any]:")
        out.append(f'    """{_SUMMARIES[command]}"""')
        out.append("    ...")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        f.write(stub_text())
