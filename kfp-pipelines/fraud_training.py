"""KFP v2 pipeline ``fraud-training`` for the acme-ml example platform.

load-data -> validate-data -> train (XGBoost, on a GPU) -> evaluate
  -> if AUC >= min_auc: register-model

Compile with ``./compile.sh`` (uses a throwaway venv with kfp==2.16.*);
the compiled IR is committed next to this file as ``fraud_training.yaml``.
"""

from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Metrics, Model, Output

BASE_IMAGE = "python:3.11-slim"


@dsl.component(
    base_image=BASE_IMAGE,
    packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0", "s3fs==2024.6.0"],
)
def load_data(training_data_uri: str, dataset: Output[Dataset]) -> int:
    """Read the raw transactions (parquet) and write them as a dataset artifact."""
    import pandas as pd

    df = pd.read_parquet(training_data_uri)
    df.to_parquet(dataset.path, index=False)
    dataset.metadata["source_uri"] = training_data_uri
    dataset.metadata["rows"] = len(df)
    return len(df)


@dsl.component(
    base_image=BASE_IMAGE,
    packages_to_install=["pandas==2.2.2", "pyarrow==16.1.0"],
)
def validate_data(
    dataset: Input[Dataset],
    validated: Output[Dataset],
    label_column: str = "is_fraud",
    max_null_fraction: float = 0.01,
) -> float:
    """Basic schema / quality gates; returns the fraud (positive) rate."""
    import pandas as pd

    df = pd.read_parquet(dataset.path)
    if label_column not in df.columns:
        raise ValueError(f"label column {label_column!r} missing")
    null_fraction = float(df.isna().mean().max())
    if null_fraction > max_null_fraction:
        raise ValueError(
            f"null fraction {null_fraction:.4f} exceeds {max_null_fraction}"
        )
    labels = set(df[label_column].unique())
    if not labels <= {0, 1}:
        raise ValueError(f"unexpected label values: {sorted(labels)}")
    df = df.drop_duplicates()
    df.to_parquet(validated.path, index=False)
    positive_rate = float(df[label_column].mean())
    validated.metadata["rows"] = len(df)
    validated.metadata["positive_rate"] = positive_rate
    return positive_rate


@dsl.component(
    base_image=BASE_IMAGE,
    packages_to_install=[
        "pandas==2.2.2",
        "pyarrow==16.1.0",
        "scikit-learn==1.5.1",
        "xgboost==2.1.0",
    ],
)
def train(
    dataset: Input[Dataset],
    learning_rate: float,
    n_estimators: int,
    model: Output[Model],
    test_set: Output[Dataset],
    label_column: str = "is_fraud",
):
    """Train a gradient-boosted classifier (XGBoost, CUDA when available)."""
    import pandas as pd
    import xgboost as xgb
    from sklearn.model_selection import train_test_split

    df = pd.read_parquet(dataset.path)
    train, test = train_test_split(
        df, test_size=0.2, stratify=df[label_column], random_state=42
    )
    test.to_parquet(test_set.path, index=False)

    y = train.pop(label_column)
    neg, pos = int((y == 0).sum()), int((y == 1).sum())
    clf = xgb.XGBClassifier(
        learning_rate=learning_rate,
        n_estimators=n_estimators,
        max_depth=6,
        tree_method="hist",
        device="cuda",
        scale_pos_weight=neg / max(pos, 1),
        eval_metric="auc",
    )
    clf.fit(train, y)
    model.path = model.path + ".json"
    clf.save_model(model.path)
    model.metadata["framework"] = "xgboost"
    model.metadata["learning_rate"] = learning_rate
    model.metadata["n_estimators"] = n_estimators


@dsl.component(
    base_image=BASE_IMAGE,
    packages_to_install=[
        "pandas==2.2.2",
        "pyarrow==16.1.0",
        "scikit-learn==1.5.1",
        "xgboost==2.1.0",
    ],
)
def evaluate(
    model: Input[Model],
    test_set: Input[Dataset],
    metrics: Output[Metrics],
    label_column: str = "is_fraud",
) -> float:
    """Compute ROC-AUC / PR-AUC on the held-out split; returns ROC-AUC."""
    import pandas as pd
    import xgboost as xgb
    from sklearn.metrics import average_precision_score, roc_auc_score

    test = pd.read_parquet(test_set.path)
    y = test.pop(label_column)
    clf = xgb.XGBClassifier()
    clf.load_model(model.path)
    scores = clf.predict_proba(test)[:, 1]
    auc = float(roc_auc_score(y, scores))
    metrics.log_metric("roc_auc", auc)
    metrics.log_metric("pr_auc", float(average_precision_score(y, scores)))
    metrics.log_metric("test_rows", len(test))
    return auc


@dsl.component(
    base_image=BASE_IMAGE,
    packages_to_install=["boto3==1.34.144"],
)
def register_model(
    model: Input[Model],
    auc: float,
    model_registry_uri: str,
) -> str:
    """Copy the model to the registry bucket under a versioned prefix."""
    import datetime
    import urllib.parse

    import boto3

    parsed = urllib.parse.urlparse(model_registry_uri)
    version = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S")
    key = f"{parsed.path.strip('/')}/v{version}/model.json".lstrip("/")
    s3 = boto3.client("s3")
    s3.upload_file(
        model.path,
        parsed.netloc,
        key,
        ExtraArgs={"Metadata": {"roc_auc": f"{auc:.6f}"}},
    )
    return f"s3://{parsed.netloc}/{key}"


@dsl.pipeline(
    name="fraud-training",
    description="Train, evaluate and (if good enough) register the acme-ml fraud model.",
)
def fraud_training(
    training_data_uri: str,
    learning_rate: float = 0.05,
    n_estimators: int = 200,
    min_auc: float = 0.9,
    model_registry_uri: str = "s3://acme-models/fraud",
):
    load_task = load_data(training_data_uri=training_data_uri)

    validate_task = validate_data(dataset=load_task.outputs["dataset"])

    train_task = train(
        dataset=validate_task.outputs["validated"],
        learning_rate=learning_rate,
        n_estimators=n_estimators,
    )
    train_task.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1)
    train_task.set_cpu_request("2").set_cpu_limit("4")
    train_task.set_memory_request("8G").set_memory_limit("16G")

    eval_task = evaluate(
        model=train_task.outputs["model"],
        test_set=train_task.outputs["test_set"],
    )
    eval_task.set_cpu_limit("2").set_memory_limit("4G")

    with dsl.If(eval_task.outputs["Output"] >= min_auc, name="auc-above-threshold"):
        register_task = register_model(
            model=train_task.outputs["model"],
            auc=eval_task.outputs["Output"],
            model_registry_uri=model_registry_uri,
        )
        register_task.set_caching_options(False)


if __name__ == "__main__":
    import os
    import sys

    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "fraud_training.yaml"
    )
    compiler.Compiler().compile(pipeline_func=fraud_training, package_path=out)
