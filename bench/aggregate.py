#!/usr/bin/python3
"""Summarises the runs of bench/side_by_side.sh: per figure, aicq's value and every peer's over the runs.

Reads SCRATCH/run*/ (aicq probe records, aicq_bench_peers output, hpcc evidence through `aicq import`),
SCRATCH/hw.json (`aicq hw --format json`) and SCRATCH/meta.json (environment, load, commands); writes the
result document (schema aicq-bench-side-by-side/1) and prints the Markdown tables.

Per run, a figure is the median of that run's timed repetitions (STREAM triad: the best, STREAM's own
convention, which hpcc also follows). Over the runs: the headline is the median of the per-run figures and the
CV is their sample standard deviation over their mean. A value whose own check failed (product check, HPL
residual, STREAM validation) is kept in the document but never chosen as the best peer.
"""
import argparse
import glob
import json
import os
import statistics
import sys

FIGURES = [
    # id, title, unit, peak precision (None: no measured peak)
    ("dgemm_fp64", "DGEMM FP64", "FLOP/s", "fp64"),
    ("matmul_fp32", "GEMM FP32", "FLOP/s", "fp32"),
    ("linpack_fp64", "LINPACK FP64", "FLOP/s", "fp64"),
    ("triad", "STREAM triad", "B/s", None),
]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def measurement(record, mid):
    for m in record.get("measurements", []):
        if m["id"] == mid:
            return m
    return None


def evidence(doc, metric):
    for e in doc.get("evidence", []):
        if e["metric"] == metric:
            return e["value"]
    return None


def run_figures(run_dir):
    """{figure: {source: {"value", "n", "valid", "note"}}} for one run."""
    out = {f[0]: {} for f in FIGURES}

    def put(fig, source, value, n=None, valid=True, note=""):
        if value is not None:
            out[fig][source] = {"value": value, "n": n, "valid": bool(valid), "note": note}

    gemm = load(os.path.join(run_dir, "aicq_gemm.json"))
    ok = all(c["passed"] for c in gemm.get("checks", []))
    for fig in ("dgemm_fp64", "matmul_fp32"):
        m = measurement(gemm, fig)
        if m:
            put(fig, "aicq", m["stats"]["median"], m["details"].get("n"), ok and m["details"]["spot_check"]["passed"],
                m["details"].get("kernel", ""))
    lin = load(os.path.join(run_dir, "aicq_linpack.json"))
    m = measurement(lin, "linpack_fp64")
    if m:
        put("linpack_fp64", "aicq", m["stats"]["median"], m["details"].get("n"), lin.get("status") == "ok",
            "; ".join(lin.get("effective", {}).get("notes", [])))
    st = load(os.path.join(run_dir, "aicq_stream.json"))
    m = measurement(st, "triad")
    if m:
        put("triad", "aicq", m["stats"]["max"], m["details"].get("array_elements"), st.get("status") == "ok",
            "best of the run's repetitions (STREAM's figure)")

    peers_path = os.path.join(run_dir, "peers.json")
    if os.path.exists(peers_path):
        peers = load(peers_path)
        for r in peers["results"]:
            d = r["details"]
            check = d.get("spot_check") or d.get("residual_check") or d.get("validation") or {"passed": True}
            value = r["stats"]["max"] if r["figure"] == "triad" else r["stats"]["median"]
            n = d.get("n", d.get("array_elements"))
            put(r["figure"], r["id"], value, n, check["passed"], d.get("kernel", d.get("arch", "")))

    hpcc_path = os.path.join(run_dir, "hpcc.json")
    if os.path.exists(hpcc_path):
        hpcc = load(hpcc_path)
        procs = evidence(hpcc, "hpcc.CommWorldProcs") or 1
        success = evidence(hpcc, "hpcc.Success") == 1
        star_dgemm = evidence(hpcc, "hpcc.StarDGEMM_Gflops")
        if star_dgemm is not None:
            put("dgemm_fp64", "hpcc.StarDGEMM", star_dgemm * procs, evidence(hpcc, "hpcc.DGEMM_N"), success,
                f"{procs:.0f} ranks x 1 thread; per-rank average x ranks")
        triad = evidence(hpcc, "hpcc.StarSTREAM_Triad")
        if triad is not None:
            put("triad", "hpcc.StarSTREAM", triad * procs, evidence(hpcc, "hpcc.STREAM_VectorSize"), success,
                f"{procs:.0f} ranks x 1 thread; per-rank best of 10 x ranks")
        hpl_best = evidence(hpcc, "hpcc.HPL_Tflops")
        residual = evidence(hpcc, "hpcc.hpl.residual")
        if hpl_best is not None:
            # The summary keeps HPCC's best HPL run, whatever its N: reported beside the table, not compared.
            out.setdefault("hpl_summary", {})["hpcc.HPL_Tflops"] = {
                "value": hpl_best, "n": evidence(hpcc, "hpcc.HPL_N"), "valid": success and residual is not None
                and residual < 16, "note": "HPCC summary: best HPL run"}
    hpl_path = os.path.join(run_dir, "hpl.json")
    if os.path.exists(hpl_path):
        hpl = load(hpl_path)
        aicq_n = out["linpack_fp64"].get("aicq", {}).get("n")
        nearest = None
        i = 0
        while evidence(hpl, f"hpl.run[{i}].achieved") is not None:
            n = evidence(hpl, f"hpl.run[{i}].n")
            res = evidence(hpl, f"hpl.run[{i}].residual")
            entry = {"value": evidence(hpl, f"hpl.run[{i}].achieved"), "n": n, "valid": res is not None and res < 16,
                     "note": f"P x Q = {evidence(hpl, f'hpl.run[{i}].p'):.0f} x {evidence(hpl, f'hpl.run[{i}].q'):.0f}, "
                             f"NB {evidence(hpl, f'hpl.run[{i}].nb'):.0f}"}
            out.setdefault("hpl_rows", {})[f"N={n:.0f}"] = entry
            if aicq_n is not None and (nearest is None or abs(n - aicq_n) < abs(nearest["n"] - aicq_n)):
                nearest = entry
            i += 1
        # compute.linpack may shrink its n to its time budget: the HPL run of the nearest N stands beside it,
        # and the note says when the orders differ.
        if nearest is not None:
            entry = dict(nearest)
            if nearest["n"] != aicq_n:
                entry["note"] += f"; HPL N={nearest['n']:.0f} beside aicq n={aicq_n}"
            out["linpack_fp64"]["hpcc.HPL"] = entry
    return out


def summary(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    mean = statistics.fmean(v)
    cv = statistics.stdev(v) / mean if len(v) > 1 and mean > 0 else None
    return {"median": statistics.median(v), "mean": mean, "cv": cv, "runs": len(v), "values": v}


def si(value, unit):
    if value is None:
        return "—"
    return f"{value / 1e9:.2f} G{unit}"


def pct(x):
    return "—" if x is None else f"{100 * x:.1f}%"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scratch", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    hw = load(os.path.join(a.scratch, "hw.json"))
    meta = load(os.path.join(a.scratch, "meta.json"))
    peaks = {p["precision"]: p for p in hw.get("peaks", {}).get("peaks", []) if p.get("device") == "cpu"}
    run_dirs = sorted(glob.glob(os.path.join(a.scratch, "run*")), key=lambda p: int(p.rsplit("run", 1)[1]))
    runs = [run_figures(d) for d in run_dirs]

    rows, tables = [], []
    for fig, title, unit, prec in FIGURES:
        sources = sorted({s for r in runs for s in r[fig]})
        per_source = {}
        for s in sources:
            entries = [r[fig].get(s) for r in runs]
            valid = all(e is None or e["valid"] for e in entries)
            sm = summary([e["value"] if e else None for e in entries])
            ns = sorted({e["n"] for e in entries if e and e["n"] is not None})
            notes = sorted({e["note"] for e in entries if e and e["note"]})
            per_source[s] = {"summary": sm, "valid": valid, "n": ns, "notes": notes}
        peak = peaks.get(prec, {}).get("flops") if prec else None
        aicq = per_source.get("aicq")
        peers = {s: v for s, v in per_source.items() if s != "aicq" and v["summary"] and v["valid"]}
        best = max(peers, key=lambda s: peers[s]["summary"]["median"]) if peers else None
        row = {"figure": fig, "title": title, "unit": unit, "sources": per_source, "best_peer": best,
               "peak": peak, "peak_method": peaks.get(prec, {}).get("method") if prec else
               "no memory-bandwidth peak: aicq hw reports none (the VM hides the DIMM configuration)"}
        if aicq and aicq["summary"] and best:
            row["ratio_aicq_to_best_peer"] = aicq["summary"]["median"] / peers[best]["summary"]["median"]
        if aicq and aicq["summary"] and peak:
            row["aicq_fraction_of_peak"] = aicq["summary"]["median"] / peak
        if best and peak:
            row["best_peer_fraction_of_peak"] = peers[best]["summary"]["median"] / peak
        rows.append(row)

    extra = {}
    for key in ("hpl_summary", "hpl_rows"):
        names = sorted({s for r in runs for s in r.get(key, {})})
        extra[key] = {}
        for s in names:
            entries = [r.get(key, {}).get(s) for r in runs]
            extra[key][s] = {"summary": summary([e["value"] if e else None for e in entries]),
                             "n": sorted({e["n"] for e in entries if e and e["n"] is not None}),
                             "valid": all(e is None or e["valid"] for e in entries)}

    doc = {"schema": "aicq-bench-side-by-side/1", "meta": meta, "machine": {"host": hw.get("host"), "peaks": hw.get("peaks")},
           "rows": rows, "hpl": extra, "runs": runs}
    tmp = a.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, a.out)

    n_runs = len(runs)
    print(f"| figure | aicq | best peer (which) | ratio aicq/peer | % of measured peak (aicq · peer) | CV over {n_runs} runs (aicq · peer) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        src = r["sources"]
        aicq = src.get("aicq", {}).get("summary")
        best = r["best_peer"]
        bs = src[best]["summary"] if best else None
        ratio = r.get("ratio_aicq_to_best_peer")
        size = ",".join(str(int(x)) for x in src.get("aicq", {}).get("n", []))
        peak_txt = (f"{pct(r.get('aicq_fraction_of_peak'))} · {pct(r.get('best_peer_fraction_of_peak'))}"
                    if r["peak"] else "— (no peak known)")
        print(f"| {r['title']} (n={size}) | {si(aicq and aicq['median'], r['unit'])} | "
              f"{si(bs and bs['median'], r['unit'])} ({best or '—'}) | {'—' if ratio is None else f'{ratio:.3f}'} | "
              f"{peak_txt} | {pct(aicq and aicq['cv'])} · {pct(bs and bs['cv'])} |")
    print()
    print("| figure | source | size | median | CV | % of peak | valid | note |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        for s, v in sorted(r["sources"].items(), key=lambda kv: -(kv[1]["summary"] or {"median": 0})["median"]):
            sm = v["summary"]
            frac = sm["median"] / r["peak"] if sm and r["peak"] else None
            size = ",".join(str(int(x)) for x in v["n"])
            print(f"| {r['title']} | {s} | {size} | {si(sm and sm['median'], r['unit'])} | {pct(sm and sm['cv'])} | "
                  f"{pct(frac)} | {'yes' if v['valid'] else 'NO'} | {'; '.join(v['notes'])[:80]} |")
    for key, rows_ in extra.items():
        for s, v in rows_.items():
            sm = v["summary"]
            frac = sm["median"] / peaks["fp64"]["flops"] if sm and "fp64" in peaks else None
            print(f"| HPL ({key}) | hpcc {s} | {','.join(str(int(x)) for x in v['n'])} | {si(sm and sm['median'], 'FLOP/s')} | "
                  f"{pct(sm and sm['cv'])} | {pct(frac)} | {'yes' if v['valid'] else 'NO'} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
