"""gpuplan's Python face: every function, its errors, equality with the CLI's --json, threads,
the GIL, the stubs and a pandas round trip (skipped, and said so, when pandas is missing)."""

import concurrent.futures
import inspect
import json
import os
import pathlib
import subprocess
import threading
import time

import pytest

import gpuplan

ROOT = pathlib.Path(__file__).resolve().parents[2]
TELEMETRY = ROOT / "tests" / "fixtures" / "telemetry" / "units.csv"
CONFIG = ROOT / "tests" / "fixtures" / "hf" / "Qwen__Qwen3-8B" / "config.json"
CLI = os.environ.get("GPUPLAN_CLI")


def cli_json(*args):
    assert CLI, "GPUPLAN_CLI names the gpuplan binary (set by CTest)"
    out = subprocess.run([CLI, *args, "--json"], capture_output=True, text=True, check=False,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return json.loads(out.stdout)


def without_clock(doc):
    """The plan's wall time is measured, not computed: the one figure two runs do not share."""
    doc = json.loads(json.dumps(doc))
    for holder in (doc, doc.get("plan", {})):
        if isinstance(holder, dict):
            holder.pop("elapsed_s", None)
    return doc


# (function, positional, keyword arguments, the same question as CLI arguments)
SAME_QUESTION = [
    ("fit", "llama-3.1-70b", dict(gpu="rtx-4090", quant="q4_k_m", context="32k", batch=4),
     ["fit", "llama-3.1-70b", "--gpu", "rtx-4090", "--quant", "q4_k_m", "--context", "32k", "--batch", "4"]),
    ("fit", "llama-3.1-8b", dict(gpu="rtx-3090", runtime="vllm", gpu_memory_utilization=0.85),
     ["fit", "llama-3.1-8b", "--gpu", "rtx-3090", "--runtime", "vllm", "--gpu-memory-utilization", "0.85"]),
    ("speed", "llama-3.1-70b", dict(gpu="h100-sxm", gpus=4, concurrency=32, runtime="vllm"),
     ["speed", "llama-3.1-70b", "--gpu", "h100-sxm", "--gpus", "4", "--concurrency", "32", "--runtime", "vllm"]),
    ("cost", "llama-3.1-8b", dict(gpu="l40s", utilization=0.35, years=3),
     ["cost", "llama-3.1-8b", "--gpu", "l40s", "--utilization", "0.35", "--years", "3"]),
    ("cost", None, dict(gpu="h100-sxm", gpu_hours=20000, utilization=0.6),
     ["cost", "--gpu", "h100-sxm", "--gpu-hours", "20000", "--utilization", "0.6"]),
    ("train", "llama-3.1-8b", dict(method="lora", tokens="100M", gpu="a100-80gb", gpus=8),
     ["train", "llama-3.1-8b", "--method", "lora", "--tokens", "100M", "--gpu", "a100-80gb", "--gpus", "8"]),
    ("plan", "qwen3-30b-a3b", dict(users=200, tpot="50ms"),
     ["plan", "qwen3-30b-a3b", "--users", "200", "--tpot", "50ms"]),
    ("inspect", str(CONFIG), {}, ["inspect", str(CONFIG)]),
    ("idle", str(TELEMETRY), dict(price_per_hour=2.49), ["idle", str(TELEMETRY), "--price-per-hour", "2.49"]),
    ("models", None, dict(family="llama"), ["models", "--family", "llama"]),
    ("gpus", None, dict(tier="consumer"), ["gpus", "--tier", "consumer"]),
    ("quants", None, {}, ["quants"]),
]


@pytest.mark.parametrize("name,first,kwargs,cli", SAME_QUESTION, ids=[" ".join(q[3][:2]) for q in SAME_QUESTION])
def test_same_document_as_the_cli(name, first, kwargs, cli):
    function = getattr(gpuplan, name)
    doc = function(first, **kwargs) if first is not None else function(**kwargs)
    assert doc["schema"].startswith("gpuplan-")
    assert without_clock(doc) == without_clock(cli_json(*cli))


def test_every_command_has_a_function():
    assert set(gpuplan._gpuplan.commands()) <= set(gpuplan.__all__)
    tested = {q[0] for q in SAME_QUESTION}
    assert tested == set(gpuplan._gpuplan.commands())


def test_issue_example():
    r = gpuplan.fit("llama-3.1-70b", gpu="rtx-4090", quant="q4_k_m", context="32k", batch=4)
    assert isinstance(r["memory"]["total_bytes"], int)
    assert r["fits"] is False  # 70B at 4 bits is ~40 GB of weights alone: not on a 24 GB card
    assert r["memory"]["total_bytes"] > 24 * 10**9
    p = gpuplan.plan("qwen3-30b-a3b", users=200, tpot="50ms")
    assert 0 < len(p["candidates"]) <= 50
    assert [c["rank"] for c in p["candidates"]] == list(range(1, len(p["candidates"]) + 1))
    assert p["candidates"][0]["gpu"] == p["plan"]["best"]["gpu"]["id"]
    assert any(g["id"] == "rtx-4090" for g in gpuplan.gpus()["gpus"])
    assert any(m["id"] == "llama-3.1-70b" for m in gpuplan.models()["models"])


def test_names_as_typed_and_top():
    a = gpuplan.speed("llama-3.1-8b", gpu="rtx-4090", quant="q4_k_m", prompt=2000, output=500)
    b = gpuplan.speed(model="llama-3.1-8b", gpu="rtx-4090", quant="q4_k_m", prompt="2000", output="500")
    assert a == b
    assert len(gpuplan.plan("llama-3.1-8b", top=3)["candidates"]) == 3


def test_errors_carry_the_cli_code_and_message():
    with pytest.raises(gpuplan.Error) as e:
        gpuplan.fit("llama-3.1-70b", gpu="rtx-4009")
    assert e.value.code == "unknown_name" and "rtx-4090" in e.value.message and e.value.command == "fit"
    cli = cli_json("fit", "llama-3.1-70b", "--gpu", "rtx-4009")["error"]
    assert (cli["code"], cli["message"]) == (e.value.code, e.value.message)
    with pytest.raises(gpuplan.Error) as e:
        gpuplan.fit("llama-3.1-8b", gpu="l4", gpu_memory_utilisation=0.9)
    assert e.value.code == "unknown_name" and "gpu_memory_utilization" in e.value.message
    with pytest.raises(gpuplan.Error) as e:
        gpuplan.fit("llama-3.1-8b", gpu="l4", context="lots")
    assert e.value.code == "parse_error" and "context" in e.value.message
    with pytest.raises(gpuplan.Error) as e:
        gpuplan.plan("llama-3.1-8b", tpot=50)  # a duration needs its unit
    assert "tpot" in e.value.message
    with pytest.raises(gpuplan.Error) as e:
        gpuplan.fit("llama-3.1-8b", gpu="l4", batch=float("nan"))
    assert e.value.code == "invalid_argument" and "batch" in e.value.message
    with pytest.raises(gpuplan.Error) as e:
        gpuplan.fit("llama-3.1-8b", gpu="l4", batch=-3)
    assert e.value.code == "out_of_range" and "'-3' is outside" in e.value.message
    with pytest.raises(gpuplan.Error) as e:
        gpuplan.fit("llama-3.1-8b", gpu=["l4"])
    assert e.value.code == "invalid_argument"
    with pytest.raises(gpuplan.Error) as e:
        gpuplan.fit("llama-3.1-8b", gpu="l4", models_file="/nonexistent/models.json")
    assert "cannot open" in e.value.message
    with pytest.raises(gpuplan.Error) as e:
        gpuplan.idle(price_per_hour=2.49)
    assert "telemetry" in e.value.message
    with pytest.raises(gpuplan.Error) as e:
        gpuplan.gpus(tier="consumr")
    assert e.value.code == "unknown_name" and "consumer" in e.value.message
    assert str(e.value).startswith("gpuplan gpus:")
    with pytest.raises(TypeError):
        gpuplan.fit("a", "b")


def test_idle_from_text_equals_from_file():
    a = gpuplan.idle(str(TELEMETRY), price_per_hour=2.49)
    b = gpuplan.idle(telemetry=TELEMETRY.read_text(), price_per_hour=2.49, file=str(TELEMETRY))
    assert a == b


def test_files_are_read_by_the_face(tmp_path):
    prices = tmp_path / "prices.json"
    prices.write_text("{}")
    with pytest.raises(gpuplan.Error) as e:
        gpuplan.cost("llama-3.1-8b", gpu="l40s", prices_file=str(prices))
    assert str(prices) in e.value.message


def test_docstrings_and_signatures_come_from_the_option_table():
    fields = {f["key"]: f for f in gpuplan._gpuplan.fields("fit")}
    assert "gpu_memory_utilization" in inspect.signature(gpuplan.fit).parameters
    assert fields["gpu_memory_utilization"]["help"] in gpuplan.fit.__doc__
    for name in gpuplan._gpuplan.commands():
        function = getattr(gpuplan, name)
        params = inspect.signature(function).parameters
        for f in gpuplan._gpuplan.fields(name):
            assert f["key"] in params, (name, f["key"])
            assert f["help"] in function.__doc__


def test_stubs_list_every_function_and_option():
    stubs = (pathlib.Path(gpuplan.__file__).parent / "__init__.pyi").read_text()
    compile(stubs, "__init__.pyi", "exec")
    for name in gpuplan._gpuplan.commands():
        line = next(l for l in stubs.splitlines() if l.startswith(f"def {name}("))
        for f in gpuplan._gpuplan.fields(name):
            assert f"{f['key']}:" in line, (name, f["key"])


def test_threads_give_the_serial_answers():
    questions = [("llama-3.1-70b", 20), ("qwen3-30b-a3b", 200), ("llama-3.1-8b", 1000), ("llama-3.1-70b", 5)]
    serial = [without_clock(gpuplan.plan(m, users=u)) for m, u in questions]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda q: without_clock(gpuplan.plan(q[0], users=q[1])), questions * 2))
    assert parallel == serial * 2


def test_the_gil_is_released_during_a_search():
    started = time.perf_counter()
    gpuplan.plan("qwen3-30b-a3b", users=200)
    one_plan_s = time.perf_counter() - started
    worker = threading.Thread(target=lambda: gpuplan.plan("qwen3-30b-a3b", users=200))
    ticks = []
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    # Held, the GIL would stop this loop for the whole search (one gap of about one_plan_s).
    assert gaps and max(gaps) < 0.5 * one_plan_s, (max(gaps), one_plan_s)


def test_pandas_round_trip():
    pd = pytest.importorskip("pandas", reason="pandas is not installed: the DataFrame round trip is skipped")
    p = gpuplan.plan("qwen3-30b-a3b", users=200, tpot="50ms")
    df = pd.DataFrame(p["candidates"])
    assert len(df) == len(p["candidates"])
    assert {"gpu", "gpus", "precision", "runtime", "tpot_s", "monthly_usd"} <= set(df.columns)
    assert df["rank"].tolist() == list(range(1, len(df) + 1))
    first = df.iloc[0]
    assert first["gpu"] == p["candidates"][0]["gpu"]
    assert first["monthly_usd"] == pytest.approx(p["candidates"][0]["monthly_usd"])
    gpus = pd.DataFrame(gpuplan.gpus()["gpus"])
    assert gpus["memory_bytes"].dtype.kind == "i"


def test_plan_rows_are_accepted_back_as_input():
    """A printed value must be accepted back: each listed candidate's card, count, precision and
    runtime (llama.cpp on an AMD card included) run as a speed question."""
    p = gpuplan.plan("qwen3-30b-a3b", users=200, tpot="50ms", top=20)
    runtimes = set()
    for row in p["candidates"]:
        s = gpuplan.speed("qwen3-30b-a3b", gpu=row["gpu"], gpus=int(row["gpus"]), quant=row["precision"],
                          runtime=row["runtime"])
        assert s["gpu"]["id"] == row["gpu"]
        runtimes.add(row["runtime"])
    assert len(runtimes) >= 2


def test_readme_example_prints_what_the_readme_shows(capsys):
    pytest.importorskip("pandas", reason="pandas is not installed: the README example uses it")
    text = (ROOT / "README.md").read_text()
    block = text[text.index("<!-- python-example:begin -->"):text.index("<!-- python-example:end -->")]
    code = block.split("```python\n", 1)[1].split("```", 1)[0]
    shown = block.split("```text\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out == shown


def test_calibration_file_replaces_the_built_in_pair(tmp_path):
    """calibration= (speed, plan, cost; --calibration on the CLI): a serving calibration file in
    data/serving_calibration.json's schema; its (engine, GPU family) pairs replace the built-in ones."""
    builtin = json.loads((ROOT / "data" / "serving_calibration.json").read_text())
    mine = dict(next(c for c in builtin["calibrations"]
                     if c["engine"] == "vllm" and c["architecture"] == "hopper"))
    mine["bandwidth_efficiency"] = mine["bandwidth_efficiency"] / 2
    path = tmp_path / "my-cluster.json"
    path.write_text(json.dumps({"schema": builtin["schema"], "calibrations": [mine]}))
    question = dict(gpu="h100-sxm", runtime="vllm", concurrency=8, prompt=1024, output=256)
    before = gpuplan.speed("llama-3.1-8b", **question)
    after = gpuplan.speed("llama-3.1-8b", calibration=str(path), **question)
    assert after["speed"]["tpot_s"] > 1.3 * before["speed"]["tpot_s"]  # decode is mostly weight reads
    assert str(path) in json.dumps(after)
    cli = cli_json("speed", "llama-3.1-8b", "--gpu", "h100-sxm", "--runtime", "vllm", "--concurrency", "8",
                   "--prompt", "1024", "--output", "256", "--calibration", str(path))
    assert cli == after
    with pytest.raises(gpuplan.Error) as e:
        gpuplan.speed("llama-3.1-8b", calibration=str(tmp_path / "missing.json"), **question)
    assert "cannot open" in e.value.message
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": builtin["schema"], "calibrations": [dict(mine, gemm_efficiency=3)]}))
    with pytest.raises(gpuplan.Error) as e:
        gpuplan.speed("llama-3.1-8b", calibration=str(bad), **question)
    assert str(bad) in e.value.message
