#!/usr/bin/env python3
"""The fanout comparison of `loadtest/bench.sh compare` as a Markdown table: for each scenario (the run's --label,
`<scenario>/<server>`), the median of the runs with [min–max] of deliveries/s, p50 and p99, CPU microseconds per
delivery for the server and the generator, and the ratios of Rally to the other servers. Loss, duplicates and
reordering are summed over the runs (they must be 0).

    python3 loadtest/compare_medians.py /tmp/rally-bench/compare.jsonl
"""
import sys

from medians import reports, spread


# The floor with as many threads as Rally has event loops: `rally` runs one per core (2 here), `rally-1t` one.
SAME_THREADS = {"rally": "floor2", "rally-1t": "floor"}
# The NIO floor (loadtest/Sources/RallyNIOFloor) with as many event loops.
SAME_NIO = {"rally": "nio2", "rally-1t": "nio"}


def load(path):
    runs = {}
    for report in reports(path):
        label = report.get("label") or ""
        if report.get("scenario") == "fanout" and "/" in label:
            scenario, server = label.split("/", 1)
            runs.setdefault(scenario, {}).setdefault(server, []).append(report)
    return runs


def table(runs):
    lines = ["| scenario | server | runs | deliveries/s | p50 ms | p99 ms | server µs/delivery | generator µs/delivery "
             "| lost/dup/reordered |", "|---|---|---|---|---|---|---|---|---|"]
    ratios = []
    for scenario, servers in runs.items():
        medians = {}
        for server, reports in servers.items():
            d = [r["deliveries"] for r in reports]
            cpu = [r.get("cpu") or {} for r in reports]
            rate, rate_median = spread([x["per_second"] for x in d])
            p50, p50_median = spread([x["latency"]["p50_ms"] for x in d], 1)
            p99, p99_median = spread([x["latency"]["p99_ms"] for x in d], 1)
            server_cpu, _ = spread([c.get("server_microseconds_per_delivery") for c in cpu], 2)
            generator_cpu, _ = spread([c.get("generator_microseconds_per_delivery") for c in cpu], 2)
            bad = sum(x["lost"] for x in d), sum(x["duplicated"] for x in d), sum(x["out_of_order"] for x in d)
            medians[server] = (rate_median, p99_median)
            lines.append(f"| {scenario} | {server} | {len(reports)} | {rate} | {p50} | {p99} | {server_cpu} "
                         f"| {generator_cpu} | {bad[0]}/{bad[1]}/{bad[2]} |")
        floors = [medians[name] for name in ("floor", "floor2") if name in medians]
        best_floor = (max((f[0] for f in floors if f[0]), default=None), min((f[1] for f in floors if f[1]), default=None))
        for rally in ("rally", "rally-1t"):
            if rally not in medians or not medians[rally][0]:
                continue
            rate, p99 = medians[rally]
            parts = []
            if medians.get("nchan", (None, None))[0]:
                parts.append(f"× {rate / medians['nchan'][0]:.2f} Nchan's deliveries/s, p99 × {p99 / medians['nchan'][1]:.2f}")
            if best_floor[0]:
                parts.append(f"× {rate / best_floor[0]:.2f} the floor's best deliveries/s, p99 × {p99 / best_floor[1]:.2f}")
            same = medians.get(SAME_THREADS[rally], (None, None))
            if same[0] and len(floors) > 1:
                parts.append(f"× {rate / same[0]:.2f} the {SAME_THREADS[rally]}'s deliveries/s, p99 × {p99 / same[1]:.2f}")
            nio = medians.get(SAME_NIO[rally], (None, None))
            if nio[0]:
                parts.append(f"× {rate / nio[0]:.2f} the NIO floor's ({SAME_NIO[rally]}) deliveries/s, p99 × {p99 / nio[1]:.2f}")
            if parts:
                ratios.append(f"- {scenario}, {rally}: " + "; ".join(parts))
    return "\n".join(lines + [""] + ratios)


if __name__ == "__main__":
    print(table(load(sys.argv[1] if len(sys.argv) > 1 else "/tmp/rally-bench/compare.jsonl")))
