"""Totals a month of sales (CSV: day,region,product,units,unit_price) by region and product.

An uploaded module (docs/modules.md): the worker runs it with the exec contract in a virtual
environment that has its requirement (tabulate), and `pipewright.processor` on its path. The input
is a plain file even when the value lives in the object store: the worker streams it in first.
A malformed row fails the task for good (exit code 2): a retry would read the same bytes.
"""
import csv
from collections import defaultdict

from pipewright import processor
from tabulate import tabulate

inputs, outputs = processor.fetch_datanodes_information()
log = processor.logger("sales_summary")
month = processor.param("month")
top = processor.param("top", 3, kind=int)
currency = processor.conf("currency", "EUR")

revenue = defaultdict(float)
units = defaultdict(int)
by_product = defaultdict(lambda: defaultdict(float))
rows = 0
with open(processor.input_path(inputs[0]), newline="", encoding="utf-8") as f:
    reader = csv.DictReader(f)
    missing = {"region", "product", "units", "unit_price"} - set(reader.fieldnames or [])
    if missing:
        processor.fail(f"{inputs[0]}: the CSV has no column {', '.join(sorted(missing))}")
    for line, row in enumerate(reader, start=2):
        try:
            n = int(row["units"])
            amount = n * float(row["unit_price"])
        except (TypeError, ValueError):
            processor.fail(f"{inputs[0]} line {line}: units and unit_price must be numbers, got {row!r}")
        revenue[row["region"]] += amount
        units[row["region"]] += n
        by_product[row["region"]][row["product"]] += amount
        rows += 1
        if rows % 20000 == 0:
            log.info("read %d rows", rows)
log.info("read %d rows of %s in %d regions", rows, month, len(revenue))

regions = {}
for region in sorted(revenue):
    best = sorted(by_product[region].items(), key=lambda pa: (-pa[1], pa[0]))[:top]
    regions[region] = {"revenue": round(revenue[region], 2), "units": units[region],
                       "top": [[p, round(a, 2)] for p, a in best]}
processor.write_json("totals", {"month": month, "rows": rows, "currency": currency,
                                "revenue": round(sum(revenue.values()), 2), "regions": regions})
table = tabulate([[r, v["units"], v["revenue"], ", ".join(p for p, _ in v["top"])] for r, v in regions.items()],
                 headers=["region", "units", f"revenue ({currency})", f"top {top} products"], tablefmt="github", floatfmt=",.2f")
processor.write_text("table", f"Sales {month}\n\n{table}\n")
