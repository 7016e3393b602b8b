"""Airflow DAG for teams that already run Airflow: opsplaybook reports every morning.

Two ways, pick one per report:

* ``opslib_reports`` (recommended): a BashOperator calls the opsplaybook runner, which checks the
  parameters before any kernel starts, stops a hung report at its time limit, never overwrites the last
  good report with a failed one, and keeps reports/index.html up to date. Airflow's
  ``execution_timeout`` is the backstop for the whole batch: at it Airflow sends SIGTERM, and the runner
  stops its kernels and their processes and records the runs as interrupted.
* ``category_review_papermill``: Airflow's own PapermillOperator executes one notebook with
  parameters; you get papermill's output notebook but none of the runner's checks or index.

Copy this file into your DAG folder and set OPSPLAYBOOK to the checkout.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.providers.papermill.operators.papermill import PapermillOperator

OPSPLAYBOOK = "/srv/opsplaybook"
SHOP = "/srv/shop-exports/latest"  # a folder following docs/data_contract.md

with DAG(
    dag_id="opsplaybook_reports",
    schedule="0 6 * * *",  # 06:00 every day
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["opsplaybook"],
) as dag:
    opslib_reports = BashOperator(
        task_id="opslib_reports",
        cwd=OPSPLAYBOOK,
        bash_command=(
            ".venv/bin/python -m opslib validate " + SHOP + " && "
            ".venv/bin/python -m opslib report run --config reports.yml --workers 2 -p data_dir " + SHOP
        ),
        execution_timeout=timedelta(hours=3),  # longer than the batch; each report has its own limit
    )

    category_review_papermill = PapermillOperator(
        task_id="category_review_papermill",
        input_nb=f"{OPSPLAYBOOK}/notebooks/01_category_optimisation.ipynb",
        output_nb=f"{OPSPLAYBOOK}/reports/airflow/{{{{ ds }}}}/01_category_optimisation.ipynb",
        parameters={"data_dir": SHOP, "period_end": "{{ macros.ds_add(ds, -1) }}", "period_days": 7},
        kernel_name="python3",
        cwd=f"{OPSPLAYBOOK}/notebooks",
        execution_timeout=timedelta(minutes=45),  # papermill itself has no limit for the whole notebook
    )

    opslib_reports >> category_review_papermill
