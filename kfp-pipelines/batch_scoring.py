"""KFP v2 pipeline ``batch-scoring`` for the acme-ml example platform.

fetch-model -> plan-shards -> ParallelFor(shard): score-shard -> write-results

Compile with ``./compile.sh`` (uses a throwaway venv with kfp==2.16.*);
the compiled IR is committed next to this file as ``batch_scoring.yaml``.
"""

from typing import List

from kfp import compiler, dsl
from kfp.dsl import Input, Model, Output

BASE_IMAGE = "python:3.11-slim"


@dsl.component(
    base_image=BASE_IMAGE,
    packages_to_install=["boto3==1.34.144"],
)
def fetch_model(model_uri: str, model: Output[Model]):
    """Download the registered model (s3://bucket/key) into a model artifact."""
    import urllib.parse

    import boto3

    parsed = urllib.parse.urlparse(model_uri)
    boto3.client("s3").download_file(parsed.netloc, parsed.path.lstrip("/"), model.path)
    model.metadata["source_uri"] = model_uri


@dsl.component(
    base_image=BASE_IMAGE,
    packages_to_install=["sqlalchemy==2.0.31", "psycopg2-binary==2.9.9"],
)
def plan_shards(input_table: str, batch_size: int, max_shards: int = 16) -> List[str]:
    """Split the input table into row ranges ("start:end"), at most max_shards."""
    import math
    import os

    import sqlalchemy as sa

    engine = sa.create_engine(os.environ["FEATURE_STORE_DSN"])
    with engine.connect() as conn:
        total = conn.execute(sa.text(f"SELECT count(*) FROM {input_table}")).scalar_one()
    n_batches = max(1, math.ceil(total / batch_size))
    n_shards = min(max_shards, n_batches)
    per_shard = math.ceil(n_batches / n_shards) * batch_size
    return [f"{start}:{min(start + per_shard, total)}" for start in range(0, total, per_shard)]


@dsl.component(
    base_image=BASE_IMAGE,
    packages_to_install=[
        "pandas==2.2.2",
        "pyarrow==16.1.0",
        "sqlalchemy==2.0.31",
        "psycopg2-binary==2.9.9",
        "xgboost==2.1.0",
    ],
)
def score_shard(
    model: Input[Model],
    input_table: str,
    shard: str,
    batch_size: int,
    output_prefix: str,
) -> str:
    """Score one row range in batches of batch_size; returns the parquet file written."""
    import os

    import pandas as pd
    import sqlalchemy as sa
    import xgboost as xgb

    start, end = (int(x) for x in shard.split(":"))
    clf = xgb.XGBClassifier()
    clf.load_model(model.path)
    engine = sa.create_engine(os.environ["FEATURE_STORE_DSN"])
    frames = []
    for offset in range(start, end, batch_size):
        limit = min(batch_size, end - offset)
        query = f"SELECT * FROM {input_table} ORDER BY transaction_id LIMIT {limit} OFFSET {offset}"
        batch = pd.read_sql(query, engine)
        ids = batch.pop("transaction_id")
        frames.append(
            pd.DataFrame({"transaction_id": ids, "fraud_score": clf.predict_proba(batch)[:, 1]})
        )
    out = f"{output_prefix}/shard-{start:012d}.parquet"
    pd.concat(frames).to_parquet(out, index=False)
    return out


@dsl.component(
    base_image=BASE_IMAGE,
    packages_to_install=[
        "pandas==2.2.2",
        "pyarrow==16.1.0",
        "sqlalchemy==2.0.31",
        "psycopg2-binary==2.9.9",
    ],
)
def write_results(shard_files: List[str], output_table: str) -> int:
    """Append all shard results to output_table; returns the number of rows written."""
    import os

    import pandas as pd
    import sqlalchemy as sa

    engine = sa.create_engine(os.environ["FEATURE_STORE_DSN"])
    total = 0
    for path in sorted(shard_files):
        df = pd.read_parquet(path)
        df.to_sql(output_table, engine, if_exists="append", index=False)
        total += len(df)
    return total


@dsl.pipeline(
    name="batch-scoring",
    description="Score a feature table with a registered acme-ml model, sharded in parallel.",
)
def batch_scoring(
    model_uri: str,
    input_table: str,
    output_table: str,
    batch_size: int = 1000,
):
    fetch_task = fetch_model(model_uri=model_uri)

    plan_task = plan_shards(input_table=input_table, batch_size=batch_size)

    with dsl.ParallelFor(plan_task.output, parallelism=8, name="shards") as shard:
        score_task = score_shard(
            model=fetch_task.outputs["model"],
            input_table=input_table,
            shard=shard,
            batch_size=batch_size,
            output_prefix="s3://acme-scoring/tmp",
        )
        score_task.set_cpu_request("1").set_cpu_limit("2")
        score_task.set_memory_request("2G").set_memory_limit("4G")
        score_task.set_retry(num_retries=2)

    write_task = write_results(
        shard_files=dsl.Collected(score_task.output),
        output_table=output_table,
    )


if __name__ == "__main__":
    import os
    import sys

    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "batch_scoring.yaml"
    )
    compiler.Compiler().compile(pipeline_func=batch_scoring, package_path=out)
