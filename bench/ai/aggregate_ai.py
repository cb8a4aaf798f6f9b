#!/usr/bin/python3
"""Summarises the rounds of bench/ai_side_by_side.sh: per figure, aicq's value (ai.train / ai.infer records) and
PyTorch's (bench/ai/train_fashion.py records), the median over the rounds, the CV, and the ratio aicq ÷ PyTorch.

Reads SCRATCH/run*/{aicq_train,aicq_infer,py_train,py_infer}.json and SCRATCH/meta.json; writes the result document
(schema aicq-bench-ai-side-by-side/1) and prints the Markdown table. A missing file or figure is shown as "—".

Figures per round (both sides measure them the same way, see train_fashion.py):
  train samples/s     samples trained ÷ time in training steps (evaluations excluded); also the median of the
                      rates of the segments between evaluations (ai.train's headline)
  time to target      first training step → end of the evaluation reaching the target (MLPerf Training)
  steps to target     the step of that evaluation (equal on both sides when the runs agree step for step)
  offline samples/s   the 10 000 test images in batches of 1000, median over the passes
  latency p50/p90/p99 batch-1 queries, nearest rank
Ratio aicq ÷ PyTorch: above 1 is aicq faster for rates; for times and latencies below 1 is aicq faster.
"""
import argparse
import glob
import json
import os
import statistics

FIGURES = [
    # id, title, unit, higher is better
    ("train_samples_per_s", "training throughput (all steps)", "samples/s", True),
    ("segment_samples_per_s", "training throughput (median of segments, ai.train's figure)", "samples/s", True),
    ("time_to_target_s", "time to 85% (MLPerf)", "s", False),
    ("steps_to_target", "steps to 85%", "steps", False),
    ("train_accuracy", "test accuracy at target", "", True),
    ("offline_samples_per_s", "inference, Offline (batch 1000)", "samples/s", True),
    ("latency_p50_s", "inference, SingleStream p50", "s", False),
    ("latency_p90_s", "inference, SingleStream p90", "s", False),
    ("latency_p99_s", "inference, SingleStream p99", "s", False),
    ("infer_accuracy", "inference accuracy (FP32)", "", True),
]


def load(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        text = f.read().strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:  # aicq's record is its last line, should anything precede it
        return json.loads(text.splitlines()[-1])


def measurement(record, pred):
    for m in (record or {}).get("measurements", []):
        if pred(m):
            return m
    return None


def aicq_train(rec):
    out = {}
    if not rec or rec.get("status") not in ("ok", "invalid"):
        return out
    train = measurement(rec, lambda m: m.get("details", {}).get("model", {}).get("task") == "training")
    if train:
        d = train["details"]
        out["train_samples_per_s"] = d["samples"] / d["train_time_s"]
        out["segment_samples_per_s"] = d["model"].get("throughput")
        out["train_accuracy"] = d["model"].get("accuracy")
        ev = d.get("evaluations") or []
        if ev:
            out["steps_to_target"] = ev[-1]["step"]
            out["evaluations"] = [(e["step"], e["accuracy"]) for e in ev]
    tta = measurement(rec, lambda m: m["id"] == "time_to_accuracy")
    if tta:
        out["time_to_target_s"] = tta["stats"]["median"]
    out["status"] = rec.get("status")
    return out


def aicq_infer(rec):
    out = {}
    if not rec or rec.get("status") not in ("ok", "invalid"):
        return out
    off = measurement(rec, lambda m: m.get("details", {}).get("model", {}).get("task") == "inference"
                      and m.get("precision") == "fp32" and "encoder" not in m["id"])
    if off:
        out["offline_samples_per_s"] = off["details"]["model"].get("throughput")
        out["infer_accuracy"] = off["details"]["model"].get("accuracy")
    lat = measurement(rec, lambda m: m.get("unit") == "s" and "p50_s" in m.get("details", {}))
    if lat:
        for p in ("p50", "p90", "p99"):
            out[f"latency_{p}_s"] = lat["details"][f"{p}_s"]
    out["status"] = rec.get("status")
    return out


def py_train(rec):
    if not rec or "train" not in rec:
        return {}
    t = rec["train"]
    return {"train_samples_per_s": t["samples_per_s"], "segment_samples_per_s": t["segment_samples_per_s_median"],
            "time_to_target_s": t["time_to_accuracy_s"],
            "steps_to_target": t["evaluations"][-1]["step"], "train_accuracy": t["accuracy"],
            "evaluations": [(e["step"], e["accuracy"]) for e in t["evaluations"]],
            "status": "ok" if t["reached"] else "invalid"}


def py_infer(rec):
    if not rec or "infer" not in rec:
        return {}
    i = rec["infer"]
    return {"offline_samples_per_s": i["offline_samples_per_s"]["median"], "latency_p50_s": i["latency_s"]["p50"],
            "latency_p90_s": i["latency_s"]["p90"], "latency_p99_s": i["latency_s"]["p99"],
            "infer_accuracy": i["accuracy"], "status": "ok"}


def summary(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    mean = statistics.fmean(v)
    cv = statistics.stdev(v) / mean if len(v) > 1 and mean > 0 else None
    return {"median": statistics.median(v), "mean": mean, "cv": cv, "runs": len(v), "values": v}


def fmt(value, unit):
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1e3:.3f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "samples/s":
        return f"{value:,.0f} samples/s"
    if unit == "steps":
        return f"{value:.0f}"
    return f"{100 * value:.2f}%"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scratch", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    meta = load(os.path.join(a.scratch, "meta.json")) or {}
    run_dirs = sorted(glob.glob(os.path.join(a.scratch, "run*")), key=lambda p: int(p.rsplit("run", 1)[1]))
    runs = []
    for d in run_dirs:
        aicq = {**aicq_train(load(os.path.join(d, "aicq_train.json"))),
                **aicq_infer(load(os.path.join(d, "aicq_infer.json")))}
        py = {**py_train(load(os.path.join(d, "py_train.json"))), **py_infer(load(os.path.join(d, "py_infer.json")))}
        same = None
        if aicq.get("evaluations") and py.get("evaluations"):
            same = [(s, round(x, 4)) for s, x in aicq["evaluations"]] == [(s, round(x, 4)) for s, x in py["evaluations"]]
        runs.append({"dir": os.path.basename(d), "aicq": aicq, "pytorch": py, "same_evaluations": same})

    rows = []
    for fig, title, unit, higher in FIGURES:
        sa = summary([r["aicq"].get(fig) for r in runs])
        sp = summary([r["pytorch"].get(fig) for r in runs])
        row = {"figure": fig, "title": title, "unit": unit, "higher_is_better": higher, "aicq": sa, "pytorch": sp}
        if sa and sp and sp["median"]:
            row["ratio_aicq_to_pytorch"] = sa["median"] / sp["median"]
        rows.append(row)

    doc = {"schema": "aicq-bench-ai-side-by-side/1", "meta": meta, "rows": rows, "runs": runs}
    tmp = a.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, a.out)

    n = len(runs)
    print(f"| figure | aicq (C++) | PyTorch (Python) | ratio aicq ÷ PyTorch | CV over {n} rounds (aicq · PyTorch) |")
    print("|---|---|---|---|---|")
    for row in rows:
        sa, sp = row["aicq"], row["pytorch"]
        ratio = row.get("ratio_aicq_to_pytorch")
        cv = lambda s: "—" if not s or s["cv"] is None else f"{100 * s['cv']:.1f}%"
        better = "" if ratio is None else (" (higher: aicq faster)" if row["higher_is_better"] and row["unit"] == "samples/s"
                                           else " (lower: aicq faster)" if row["unit"] == "s" else "")
        print(f"| {row['title']} | {fmt(sa and sa['median'], row['unit'])} | {fmt(sp and sp['median'], row['unit'])} | "
              f"{'—' if ratio is None else f'**{ratio:.3f}**'}{better} | {cv(sa)} · {cv(sp)} |")
    agree = [r["same_evaluations"] for r in runs if r["same_evaluations"] is not None]
    if agree:
        print(f"\nSame (step, accuracy) evaluations on both sides in {sum(agree)} of {len(agree)} rounds.")


if __name__ == "__main__":
    main()
