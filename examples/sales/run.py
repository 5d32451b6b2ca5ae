#!/usr/bin/env python3
"""The data scientist's path, end to end, from Python (examples/sales/pipeline.yaml has the picture).

1. puts a month of generated sales at shared/sales/<month>.csv in the object store, with boto3
   (PW_DATA_STORE=s3://bucket/prefix names where the data store is; the AWS_* variables say how to
   reach it, as for the overseer and the workers);
2. uploads modules/sales_summary.py as the module `sales_summary` (a new version only when it changed);
3. registers the pipeline, submits a job for the month, prints the module's log lines as they come;
4. reads the job's outputs back through the API and prints them.

    pip install ./clients/python boto3
    PW_URL=http://127.0.0.1:8080 PW_TOKEN=... PW_DATA_STORE=s3://pipewright/data \\
      AWS_ENDPOINT_URL=http://127.0.0.1:9000 python examples/sales/run.py --month 2026-11

The token needs the developer role (or admin) to upload the module. Exit status 0 when the job
succeeded, 1 with its errors otherwise.
"""
import argparse
import csv
import io
import json
import os
import random
import sys
from pathlib import Path
from urllib.parse import urlparse

from pipewright import Pipeline, PipewrightError

HERE = Path(__file__).resolve().parent
REGIONS = ["north", "south", "east", "west"]
PRODUCTS = {"kettle": 39.9, "toaster": 54.5, "blender": 89.0, "grinder": 24.9, "scale": 19.5, "juicer": 119.0}


def sales_csv(month: str, rows: int) -> bytes:
    """A month of sales: the same rows for the same month (seeded), about 32 bytes a row."""
    rng = random.Random(month)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["day", "region", "product", "units", "unit_price"])
    for _ in range(rows):
        product = rng.choice(list(PRODUCTS))
        w.writerow([f"{month}-{rng.randint(1, 28):02d}", rng.choice(REGIONS), product, rng.randint(1, 9), PRODUCTS[product]])
    return out.getvalue().encode("utf-8")


def put_in_object_store(month: str, data: bytes) -> str:
    store = os.environ.get("PW_DATA_STORE", "")
    if not store.startswith("s3://"):
        sys.exit("PW_DATA_STORE must name the object store the overseer uses, s3://bucket/prefix (bin/quickstart --object-store prints it)")
    try:
        import boto3
    except ImportError:
        sys.exit("this example puts its data in the object store with boto3: pip install boto3")
    url = urlparse(store)
    key = "/".join(p for p in (url.path.strip("/"), "shared/sales", f"{month}.csv") if p)
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1"))
    s3.put_object(Bucket=url.netloc, Key=key, Body=data, ContentType="text/csv")
    return f"s3://{url.netloc}/{key}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--month", default="2026-11", help="YYYY-MM (default 2026-11)")
    ap.add_argument("--rows", type=int, default=40000, help="rows of generated sales (default 40000, about 1.3 MB)")
    ap.add_argument("--top", type=int, default=3, help="products listed per region")
    ap.add_argument("--keep-data", action="store_true", help="use the CSV already in the object store")
    args = ap.parse_args()

    client = Pipeline()                                   # PW_URL and PW_TOKEN
    if not args.keep_data:
        data = sales_csv(args.month, args.rows)
        print(f"data:     {put_in_object_store(args.month, data)} ({len(data):,} bytes)", file=sys.stderr)
    module = client.upload_module("sales_summary", HERE / "modules" / "sales_summary.py")
    print(f"module:   sales_summary@{module['version']} (sha256 {module['digest'][:12]}…)", file=sys.stderr)
    pipeline = client.create_pipeline(HERE / "pipeline.yaml")
    print(f"pipeline: {pipeline['id']} v{pipeline['version']}", file=sys.stderr)
    job = client.submit_pipeline_job(pipeline["id"], {"month": args.month, "top": args.top})
    print(f"job:      {job['id']}", file=sys.stderr)
    for line in client.follow_logs(job["id"]):          # until the job ends; pip's output too on a first build
        print(f"  [{line['node']}#{line['attempt']}] {line['line']}", file=sys.stderr)
    done = client.wait(job["id"], timeout=600)
    if done["status"] != "SUCCESS":
        print(f"job {job['id']} ended {done['status']}:", file=sys.stderr)
        for task in client.get_job(job["id"]).get("tasks", []):
            if task.get("error"):
                print(f"  {task['node']}: {task['error']}", file=sys.stderr)
        return 1
    totals = client.get_output_json(job["id"], "totals")
    print(client.get_output_text(job["id"], "table"))
    print(json.dumps({"month": totals["month"], "rows": totals["rows"], "revenue": totals["revenue"]}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except PipewrightError as e:
        sys.exit(f"pipewright refused: {e}")
