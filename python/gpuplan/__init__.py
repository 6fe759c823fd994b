"""gpuplan: will it fit, how fast, on which hardware, at what cost -- from Python.

Every function is a gpuplan command; its keyword arguments are the command's options with
underscores (``--gpu-memory-utilization`` -> ``gpu_memory_utilization``), taking the values the
CLI takes ("32k", "50ms", "24GiB") or plain numbers in the option's base unit (tokens, bytes,
counts). Each returns the document ``gpuplan <command> --json`` prints, as dicts and lists (bytes
as ints). Bad input raises :class:`gpuplan.Error` with the CLI's code and message.

>>> import gpuplan
>>> r = gpuplan.fit("llama-3.1-70b", gpu="rtx-4090", quant="q4_k_m", context="32k", batch=4)
>>> r["fits"], r["memory"]["total_bytes"]

Every call also takes ``models_file`` / ``gpus_file`` (extra catalogs, as --models-file and
--gpus-file) and ``offline`` (Hub models from the cache only); ``cost`` takes ``prices_file``.
Calls are thread-safe and release the GIL while they compute.
"""

import inspect as _inspect
import json as _json
import math as _math

from . import _gpuplan

__all__ = ["Error", "fit", "speed", "cost", "train", "plan", "inspect", "idle", "models", "gpus", "quants"]
__version__ = _gpuplan.version

_FACE_OPTIONS = tuple(f["key"] for f in _gpuplan.face_options())


class Error(Exception):
    """A request gpuplan refused: ``code`` (invalid_argument, unknown_name, parse_error,
    out_of_range, conflict), ``message`` (names the option and suggests the nearest name) and
    ``command``."""

    def __init__(self, code, message, command):
        super().__init__(f"gpuplan {command}: {message}")
        self.code = code
        self.message = message
        self.command = command


def _value(command, key, value):
    if isinstance(value, float) and not _math.isfinite(value):
        raise Error("invalid_argument", f"'{key}': {value} is not a number gpuplan can use", command)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise Error("invalid_argument", f"'{key}': expected a str, int, float or bool, not {type(value).__name__}",
                command)


def _positional(fields):
    for f in fields:
        if not f["cli"].startswith("-"):
            return f["key"]
    return None


def _call(command, first, args, kwargs):
    request = {}
    if args:
        if first is None or len(args) > 1:
            raise TypeError(f"gpuplan.{command}() takes {1 if first else 0} positional argument(s)")
        request[first] = _value(command, first, args[0])
    for key, value in kwargs.items():
        if key in request:
            raise TypeError(f"gpuplan.{command}() got '{key}' twice")
        request[key] = _value(command, key, value)
    ok, text = _gpuplan.run(command, _json.dumps(request))
    doc = _json.loads(text)
    if not ok:
        e = doc["error"]
        raise Error(e["code"], e["message"], e["command"])
    return doc


def _doc(command, summary, fields):
    lines = [summary, "", f"The document of ``gpuplan {command} --json``. Options (keyword arguments):", ""]
    for f in fields:
        unit = "" if f["kind"] in ("text", "flag") else f" [{f['kind']}]"
        lines.append(f"    {f['key']}{unit}: {f['help']}")
    for f in _gpuplan.face_options():
        lines.append(f"    {f['key']}: {f['help']}")
    lines += ["", "Raises gpuplan.Error on bad input. " + _gpuplan.units_note()]
    return "\n".join(lines)


def _signature(command, fields):
    first = _positional(fields)
    params = []
    if first:
        params.append(_inspect.Parameter(first, _inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None))
    seen = {first}
    for f in fields:
        if f["key"] in seen:
            continue
        seen.add(f["key"])
        params.append(_inspect.Parameter(f["key"], _inspect.Parameter.KEYWORD_ONLY, default=None))
    for key in _FACE_OPTIONS:
        params.append(_inspect.Parameter(key, _inspect.Parameter.KEYWORD_ONLY, default=None))
    return _inspect.Signature(params, return_annotation=dict)


_SUMMARIES = {
    "fit": "Will it fit? Memory per GPU, itemised, with the verdict and the limits.",
    "speed": "How fast? Time to first token, time per output token and throughput, under load.",
    "cost": "Buy, rent or call an API: monthly cost, cost per million tokens, break-even.",
    "train": "Training or fine-tuning: the layout, step time, wall time and cost.",
    "plan": "Which hardware? The best replica per tier, the Pareto front and the findings.",
    "inspect": "What a model spec says: architecture, parameters, tensors, stored format.",
    "idle": "Idle capacity in GPU telemetry (file= a log, or telemetry= its text) and what it costs.",
    "models": "The built-in models with their exact parameter counts.",
    "gpus": "The built-in accelerators: memory, bandwidth, dense FLOPS, prices.",
    "quants": "The precisions quant= accepts, with their true storage cost.",
}


def _make(command):
    fields = _gpuplan.fields(command)
    first = _positional(fields)

    def call(*args, **kwargs):
        if first and first in kwargs and not args:
            args = (kwargs.pop(first),)
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        return _call(command, first, args, kwargs)

    call.__name__ = command
    call.__qualname__ = command
    call.__doc__ = _doc(command, _SUMMARIES[command], fields)
    call.__signature__ = _signature(command, fields)
    return call


fit = _make("fit")
speed = _make("speed")
cost = _make("cost")
train = _make("train")
plan = _make("plan")
inspect = _make("inspect")
idle = _make("idle")
models = _make("models")
gpus = _make("gpus")
quants = _make("quants")
