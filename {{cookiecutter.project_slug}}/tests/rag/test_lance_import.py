"""LanceDB imported with less: the REST client deferred, its models built on use, pandas left out.

Each check runs in a fresh interpreter: this test process has imported LanceDB (and maybe
pandas) already.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

WITHOUT_PANDAS = """
import sys
from {{ cookiecutter.package_name }}.rag._lance_import import import_lancedb

lancedb = import_lancedb(pandas=False)
import pyarrow as pa

pa.array(["a Python value: pyarrow looks for pandas here, at the latest"])
print("pandas imported:", "pandas" in sys.modules)
try:
    import pandas as pd
except ImportError:
    raise SystemExit(0)
frame = pd.DataFrame({"id": ["a", "b"], "n": [1, 2]})
table = lancedb.connect(sys.argv[1]).create_table("t", data=frame)
print("frame round trip:", table.to_pandas().equals(frame))
print("from_pandas:", pa.Table.from_pandas(frame).num_rows)
"""

MODELS = """
from pydantic import BaseModel
from {{ cookiecutter.package_name }}.rag._lance_import import import_lancedb

lancedb = import_lancedb()
from lance_namespace_urllib3_client.models import ListTablesRequest

print("request:", ListTablesRequest(id=["db"]).model_dump(exclude_none=True))
print("pydantic config after:", BaseModel.model_config)
print("rest client:", callable(__import__("lance_namespace_urllib3_client").ApiClient))
"""


def _run(code: str, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - this interpreter, code of this module
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_command_imports_lancedb_without_pandas_and_pandas_still_works_after(
    tmp_path: Path,
) -> None:
    output = _run(WITHOUT_PANDAS, str(tmp_path))

    assert "pandas imported: False" in output
    if importlib.util.find_spec("pandas") is not None:  # with the ml pillar
        assert "frame round trip: True" in output
        assert "from_pandas: 2" in output


def test_the_namespace_models_and_rest_client_still_work_when_first_used() -> None:
    output = _run(MODELS)

    assert "request: {'id': ['db']" in output
    assert "pydantic config after: {}" in output  # the deferral ended with the import
    assert "rest client: True" in output


@pytest.mark.parametrize("pandas", [True, False])
def test_importing_twice_returns_the_same_module(pandas: bool) -> None:
    from {{ cookiecutter.package_name }}.rag._lance_import import import_lancedb  # noqa: PLC0415

    assert import_lancedb(pandas=pandas) is sys.modules["lancedb"]
